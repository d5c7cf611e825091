using Elite.Core.Configuration;
using Elite.Inference.Imaging;
using Elite.Inference.Runtime;
using Elite.Inference.Text;
using Microsoft.Extensions.Options;

namespace Elite.Worker;

/// <summary>
/// The models, tokenizer and mask model, loaded once when the worker starts. The pack is verified
/// against its manifest's sha256 first: a damaged pack stops the worker before it takes any work.
/// </summary>
public sealed class WorkerRuntime : IDisposable
{
    public WorkerRuntime(IOptions<WorkerOptions> options, ILogger<WorkerRuntime> logger)
    {
        var settings = options.Value;
        Models = EliteModels.Load(settings.PackDirectory, new ExecutionOptions { UseCuda = settings.UseCuda, IntraOpThreads = settings.IntraOpThreads, DeviceBinding = settings.DeviceBinding }, verifyChecksums: true, logger);
        Tokenizer = ClipTokenizer.Load(settings.VocabularyPath, Models.Manifest.Tokenizer);
        Masker = new U2NetMasker(settings.MaskModelPath);
    }

    public EliteModels Models { get; }
    public ClipTokenizer Tokenizer { get; }
    public U2NetMasker Masker { get; }

    public void Dispose()
    {
        Models.Dispose();
        Masker.Dispose();
    }
}
