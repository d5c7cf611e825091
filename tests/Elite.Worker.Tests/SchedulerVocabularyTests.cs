using Elite.Contracts.Generation;
using Elite.Core.Jobs;
using Elite.Inference.Sampling;

namespace Elite.Worker.Tests;

/// <summary>Job validation and the worker read one list of schedulers, so a name cannot pass one and fail the other.</summary>
public sealed class SchedulerVocabularyTests
{
    [Fact]
    public void Every_name_validation_accepts_is_a_scheduler_the_worker_creates()
    {
        Assert.Equal(Enum.GetValues<SchedulerKind>().Length, SchedulerNames.All.Count);
        Assert.All(SchedulerNames.All, name =>
        {
            Assert.Null(JobValidator.CheckScheduler(name));
            Assert.Equal(10, Schedulers.Create(JobValidator.SchedulerOrDefault(name), 10).Timesteps.Count);
        });
        Assert.All(Enum.GetValues<SchedulerKind>(), kind => Assert.Equal(kind, SchedulerNames.Parse(SchedulerNames.Of(kind))));
        Assert.NotNull(JobValidator.CheckScheduler("pndm"));
    }
}
