using System.CommandLine;
using Elite.Inference.Runtime;

namespace Elite.Cli;

/// <summary>Options every command that runs the models shares: the pack, the device and the threads.</summary>
internal sealed class InferenceOptions
{
    public Option<DirectoryInfo> Models { get; } = new("--models") { Description = "The model pack folder (elite models build).", Required = true };
    public Option<bool> Cpu { get; } = new("--cpu") { Description = "Run on the CPU even where CUDA is available." };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads per operator (0: one per core).", DefaultValueFactory = _ => 0 };

    public IEnumerable<Option> All => [Models, Cpu, Threads];

    public EliteModels Load(ParseResult parse) =>
        EliteModels.Load(parse.GetValue(Models)!.FullName, new ExecutionOptions { UseCuda = !parse.GetValue(Cpu), IntraOpThreads = parse.GetValue(Threads) });
}
