using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Elite.Contracts.Packs;

namespace Elite.Infra.Tests;

/// <summary>
/// infra/worker/fetch-model-pack.sh, run the way the worker's init container runs it (<c>bash -c SCRIPT</c>),
/// against a stand-in for the Container Apps identity endpoint and Blob Storage on loopback.
/// </summary>
public sealed class FetchModelPackScriptTests : IDisposable
{
    private const string IdentityHeader = "identity-header-for-tests";
    private const string ClientId = "11111111-2222-3333-4444-555555555555";
    private const string Token = "token-for-tests";
    private const string Pack = "tiny-test";

    private static readonly string Script = File.ReadAllText(Path.Combine(Repository.Infra, "worker", "fetch-model-pack.sh"));

    private readonly string work = Directory.CreateTempSubdirectory("elite-fetch-").FullName;
    private readonly Dictionary<string, byte[]> blobs = new(StringComparer.Ordinal);
    private readonly List<string> requests = [];
    private readonly HttpListener listener = new();
    private readonly int port;

    public FetchModelPackScriptTests()
    {
        port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(ServeAsync);
    }

    private string ModelsDir => Path.Combine(work, "models");

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (!listener.IsListening)
            {
                return;
            }

            var request = context.Request;
            var path = request.Url!.AbsolutePath;
            lock (requests) requests.Add(path);
            var response = context.Response;
            byte[]? body = null;
            if (path == "/msi/token")
            {
                var ok = request.Headers["X-IDENTITY-HEADER"] == IdentityHeader
                    && request.QueryString["resource"] == "https://storage.azure.com/"
                    && request.QueryString["client_id"] == ClientId
                    && request.QueryString["api-version"] is { Length: > 0 };
                response.StatusCode = ok ? 200 : 401;
                body = ok ? Encoding.UTF8.GetBytes($"{{\"access_token\": \"{Token}\", \"expires_on\": \"1900000000\", \"token_type\": \"Bearer\"}}") : null;
            }
            else if (path.StartsWith("/models/", StringComparison.Ordinal))
            {
                var authorised = request.Headers["Authorization"] == $"Bearer {Token}" && request.Headers["x-ms-version"] is { Length: > 0 };
                var name = Uri.UnescapeDataString(path["/models/".Length..]);
                response.StatusCode = !authorised ? 403 : blobs.TryGetValue(name, out body) ? 200 : 404;
            }
            else
            {
                response.StatusCode = 404;
            }

            if (body is not null) await response.OutputStream.WriteAsync(body);
            response.Close();
        }
    }

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>A model pack with two files, written by the pack manifest code the worker reads, served as blobs.</summary>
    private Dictionary<string, byte[]> AddPack(Func<string, string>? renameInManifest = null)
    {
        var files = new Dictionary<string, byte[]>
        {
            ["unet.onnx"] = RandomNumberGenerator.GetBytes(50_000),
            ["unet.onnx.data"] = RandomNumberGenerator.GetBytes(200_000),
        };
        var manifest = new PackManifest(
            FormatVersion: PackManifest.CurrentFormatVersion,
            Id: "tiny-test-0123",
            Preset: "tiny",
            Dtype: "float32",
            Opset: 21,
            Weights: "random",
            Dimensions: new PackDimensions(32, 77, 32, 224, 256, 32, 4, 64, 512),
            Graphs: new Dictionary<string, PackGraph> { ["unet"] = new("unet.onnx", "unet.onnx.data", 1000) },
            Files: files.Select(f => new PackFile(renameInManifest?.Invoke(f.Key) ?? f.Key, Sha(f.Value), f.Value.Length)).ToList(),
            Tokenizer: PackSettings.StableDiffusionV14.Tokenizer,
            Normalization: PackSettings.StableDiffusionV14.Normalization,
            Scheduler: PackSettings.StableDiffusionV14.Scheduler);
        var packDir = Directory.CreateDirectory(Path.Combine(work, "built")).FullName;
        manifest.Save(packDir);
        blobs[$"{Pack}/manifest.json"] = File.ReadAllBytes(Path.Combine(packDir, PackManifest.FileName));
        foreach (var (name, data) in files) blobs[$"{Pack}/{name}"] = data;
        return files;
    }

    private (byte[] Vocabulary, byte[] Mask) AddAssets()
    {
        var vocabulary = Encoding.UTF8.GetBytes("#version: 0.2\nt h\n");
        var mask = RandomNumberGenerator.GetBytes(4_096);
        blobs["assets/bpe_simple_vocab_16e6.txt"] = vocabulary;
        blobs["assets/u2netp.onnx"] = mask;
        return (vocabulary, mask);
    }

    private static void AssertNoPartialFiles(string directory)
    {
        if (!Directory.Exists(directory)) return;
        Assert.Empty(Directory.EnumerateFiles(directory, "*.part", SearchOption.AllDirectories));
    }

    [Fact]
    public void It_downloads_every_manifest_file_and_both_assets_and_checks_them()
    {
        var files = AddPack();
        var (vocabulary, mask) = AddAssets();

        var (exitCode, output) = RunScript();

        Assert.True(exitCode == 0, output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(work, "built", PackManifest.FileName)), File.ReadAllBytes(Path.Combine(ModelsDir, "pack", PackManifest.FileName)));
        foreach (var (name, data) in files) Assert.Equal(data, File.ReadAllBytes(Path.Combine(ModelsDir, "pack", name)));
        Assert.Equal(vocabulary, File.ReadAllBytes(Path.Combine(ModelsDir, "assets", "bpe_simple_vocab_16e6.txt")));
        Assert.Equal(mask, File.ReadAllBytes(Path.Combine(ModelsDir, "assets", "u2netp.onnx")));
        AssertNoPartialFiles(ModelsDir);

        // What the worker then does before taking work: the pack checks out against its manifest.
        PackManifest.Load(Path.Combine(ModelsDir, "pack")).VerifyFiles(Path.Combine(ModelsDir, "pack"));
    }

    [Fact]
    public void A_second_run_keeps_the_files_that_check_out()
    {
        AddPack();
        AddAssets();
        Assert.Equal(0, RunScript().ExitCode);
        lock (requests) requests.Clear();

        var (exitCode, output) = RunScript();

        Assert.True(exitCode == 0, output);
        lock (requests)
        {
            Assert.DoesNotContain(requests, r => r.EndsWith(".onnx.data", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_damaged_file_fails_the_replica_and_is_not_left_behind()
    {
        AddPack();
        AddAssets();
        blobs[$"{Pack}/unet.onnx.data"] = RandomNumberGenerator.GetBytes(200_000);

        var (exitCode, output) = RunScript();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("unet.onnx.data does not match its sha256", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ModelsDir, "pack", "unet.onnx.data")));
        AssertNoPartialFiles(ModelsDir);
    }

    [Fact]
    public void A_damaged_asset_fails_the_replica()
    {
        AddPack();
        AddAssets();

        var (exitCode, output) = RunScript(("MASK_MODEL_SHA256", Sha(RandomNumberGenerator.GetBytes(16))));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("assets/u2netp.onnx does not match its sha256", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ModelsDir, "assets", "u2netp.onnx")));
    }

    /// <summary>Runs the script as the init container does, with the environment Container Apps and the Bicep give it.</summary>
    private (int ExitCode, string Output) RunScript(params (string Name, string Value)[] overrides)
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.Environment["MODEL_CONTAINER_URL"] = $"http://127.0.0.1:{port}/models";
        start.Environment["MODEL_PACK"] = Pack;
        start.Environment["MODELS_DIR"] = ModelsDir;
        start.Environment["VOCABULARY_SHA256"] = blobs.TryGetValue("assets/bpe_simple_vocab_16e6.txt", out var v) ? Sha(v) : new string('0', 64);
        start.Environment["MASK_MODEL_SHA256"] = blobs.TryGetValue("assets/u2netp.onnx", out var m) ? Sha(m) : new string('0', 64);
        start.Environment["IDENTITY_CLIENT_ID"] = ClientId;
        start.Environment["IDENTITY_ENDPOINT"] = $"http://127.0.0.1:{port}/msi/token";
        start.Environment["IDENTITY_HEADER"] = IdentityHeader;
        start.Environment["FETCH_RETRIES"] = "0";
        foreach (var (name, value) in overrides) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "the script ran over a minute");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void A_file_name_that_leaves_the_pack_folder_is_refused()
    {
        AddPack(name => name == "unet.onnx" ? "../escaped.onnx" : name);
        AddAssets();
        blobs[$"{Pack}/../escaped.onnx"] = blobs[$"{Pack}/unet.onnx"];

        var (exitCode, output) = RunScript();

        Assert.NotEqual(0, exitCode);
        Assert.Contains("unsafe file name", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(ModelsDir, "escaped.onnx")));
    }

    [Fact]
    public void A_missing_pack_fails_the_replica()
    {
        AddAssets();

        var (exitCode, output) = RunScript(("MODEL_PACK", "no-such-pack"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("could not download no-such-pack/manifest.json", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_identity_nothing_is_downloaded()
    {
        AddPack();
        AddAssets();

        var (exitCode, _) = RunScript(("IDENTITY_HEADER", "wrong"));

        Assert.NotEqual(0, exitCode);
        lock (requests)
        {
            Assert.DoesNotContain(requests, r => r.StartsWith("/models/", StringComparison.Ordinal));
        }
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        Directory.Delete(work, recursive: true);
    }
}
