using System.CommandLine;
using Elite.Inference.Runtime;

namespace Elite.Cli;

/// <summary>Options every command that runs the models shares: the pack, the device and the threads.</summary>
internal sealed class InferenceOptions(bool modelsRequired = true)
{
    public Option<DirectoryInfo> Models { get; } = new("--models") { Description = "The model pack folder (elite models build).", Required = modelsRequired };
    public Option<bool> Cpu { get; } = new("--cpu") { Description = "Run on the CPU even where CUDA is available." };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads per operator (0: one per core).", DefaultValueFactory = _ => 0 };
    public Option<bool> DeviceBinding { get; } = new("--device-binding") { Description = "On CUDA, bind the UNet's constant inputs (contexts, local embeddings) on the device once per batch instead of copying them every step." };

    public IEnumerable<Option> All => [Models, Cpu, Threads, DeviceBinding];

    public EliteModels Load(ParseResult parse) =>
        EliteModels.Load(parse.GetValue(Models)!.FullName, new ExecutionOptions
        {
            UseCuda = !parse.GetValue(Cpu),
            IntraOpThreads = parse.GetValue(Threads),
            DeviceBinding = parse.GetValue(DeviceBinding),
        });
}
