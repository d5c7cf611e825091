namespace Elite.ModelBuilder.Weights;

/// <summary>A PyTorch checkpoint file that cannot be read: the message names the file and the problem.</summary>
public sealed class TorchCheckpointException : Exception
{
    public TorchCheckpointException(string filePath, string problem, Exception? inner = null)
        : base($"PyTorch checkpoint '{filePath}': {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
