namespace Elite.Inference.Sampling;

/// <summary>Checks that a scheduler's steps come once each, in order, with matching buffer sizes.</summary>
internal sealed class StepCounter(int steps)
{
    private int _next;

    public void Advance(int step, ReadOnlySpan<float> modelOutput, Span<float> sample)
    {
        if (step != _next || step == steps)
            throw new InvalidOperationException(
                _next == steps
                    ? $"All {steps} steps are done; use a new scheduler for the next image."
                    : $"Step {step} was called, step {_next} is next: steps run once each, in order.");
        if (modelOutput.Length != sample.Length)
            throw new ArgumentException($"The model output has {modelOutput.Length} values, the sample {sample.Length}.", nameof(modelOutput));
        _next++;
    }
}
