namespace Elite.ModelBuilder.Weights;

/// <summary>A checkpoint file that cannot be read (safetensors or PyTorch): the message names the file and the problem.</summary>
public sealed class CheckpointFormatException : Exception
{
    public CheckpointFormatException(string filePath, string problem, Exception? inner = null)
        : base($"checkpoint '{filePath}': {problem}", inner)
    {
        FilePath = filePath;
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
