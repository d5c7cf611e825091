using Elite.Contracts.Generation;

namespace Elite.Inference.Sampling;

/// <summary>Creates the scheduler of each <see cref="SchedulerKind"/> over a training schedule.</summary>
public static class Schedulers
{
    /// <summary>A new scheduler (one per image) for <paramref name="steps"/> steps.</summary>
    /// <param name="karras">Karras σ (ρ = 7) instead of linspace timesteps; for lms, euler_a and dpmpp_2m only.</param>
    /// <param name="training">The pack's training schedule; SD v1.4's when not given.</param>
    public static IScheduler Create(SchedulerKind kind, int steps, bool karras = false, TrainingSchedule? training = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, TrainingSchedule.Steps);

        training ??= TrainingSchedule.StableDiffusionV14;
        SigmaSchedule Fractional() =>
            karras ? SigmaSchedule.Karras(training, steps, roundTimesteps: false) : SigmaSchedule.Linspace(training, steps);
        SigmaSchedule Integer() =>
            karras ? SigmaSchedule.Karras(training, steps, roundTimesteps: true) : SigmaSchedule.Rounded(training, steps);

        return kind switch
        {
            SchedulerKind.Lms => new LmsScheduler(Fractional()),
            SchedulerKind.EulerAncestral => new EulerAncestralScheduler(Fractional()),
            SchedulerKind.DpmPlusPlus2M => new DpmSolverMultistepScheduler(Integer()),
            SchedulerKind.Ddim when karras => throw new ArgumentException("DDIM has no Karras σ variant.", nameof(karras)),
            SchedulerKind.Ddim => new DdimScheduler(training, steps),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a scheduler"),
        };
    }
}
