using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Elite.Infra.Tests;

/// <summary>
/// gpu-worker/Dockerfile, read as instructions (no Docker engine here to build it): a multi-stage build
/// that publishes the worker with the CUDA build of ONNX Runtime onto a CUDA 13 + cuDNN 9 runtime, runs
/// as a non-root user, checks the worker's health endpoint and carries no model weights.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string DockerfilePath = Path.Combine(Repository.Root, "gpu-worker", "Dockerfile");

    private sealed record Instruction(string Keyword, string Arguments, int Stage);

    /// <summary>The instructions, with continuation lines joined, comments dropped, and the build stage each belongs to.</summary>
    private static List<Instruction> Instructions()
    {
        var logical = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(DockerfilePath))
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#'))) continue;
            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            logical.Add(current + line);
            current = "";
        }

        var stage = -1;
        var instructions = new List<Instruction>();
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ');
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            if (keyword == "FROM") stage++;
            instructions.Add(new Instruction(keyword, space < 0 ? "" : line[(space + 1)..].Trim(), stage));
        }

        return instructions;
    }

    private static string ArgDefault(List<Instruction> instructions, string name) =>
        Assert.Single(instructions, i => i.Keyword == "ARG" && i.Arguments.StartsWith(name + "=", StringComparison.Ordinal)).Arguments[(name.Length + 1)..];

    private static List<Instruction> FinalStage(List<Instruction> instructions) =>
        instructions.Where(i => i.Stage == instructions.Max(x => x.Stage)).ToList();

    [Fact]
    public void It_is_a_multi_stage_build_publishing_the_worker_with_the_gpu_onnx_runtime()
    {
        var instructions = Instructions();
        var froms = instructions.Where(i => i.Keyword == "FROM").ToList();
        Assert.True(froms.Count >= 2, "multi-stage");
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/sdk:\$\{DOTNET_VERSION\}-noble AS build$", froms[0].Arguments);
        Assert.Equal("10.0", ArgDefault(instructions, "DOTNET_VERSION"));

        var publish = Assert.Single(instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Equal(0, publish.Stage);
        Assert.Contains("gpu-worker/Elite.Worker/Elite.Worker.csproj", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-p:OrtFlavor=Gpu", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-c Release", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("-r linux-x64", publish.Arguments, StringComparison.Ordinal);
        var restore = Assert.Single(instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.Contains("-p:OrtFlavor=Gpu", restore.Arguments, StringComparison.Ordinal);
    }

    [Fact]
    public void The_runtime_is_cuda_13_with_cudnn_9_on_ubuntu_24_04_with_the_dotnet_10_runtime()
    {
        var instructions = Instructions();
        var final = FinalStage(instructions);
        Assert.Equal("${CUDA_IMAGE} AS runtime", final[0].Arguments);
        // The nvidia/cuda "cudnn" runtime images of CUDA 13 carry cuDNN 9.
        Assert.Matches(@"^(nvcr\.io/)?nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu24\.04$", ArgDefault(instructions, "CUDA_IMAGE"));
        Assert.Contains(instructions, i => i.Keyword == "FROM" && i.Arguments == "mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}-noble AS dotnet");
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments == "--from=dotnet /usr/share/dotnet /usr/share/dotnet");
        Assert.Contains(final, i => i.Keyword == "COPY" && i.Arguments.StartsWith("--from=build", StringComparison.Ordinal));
        Assert.Equal("[\"dotnet\", \"/app/Elite.Worker.dll\"]", Assert.Single(final, i => i.Keyword == "ENTRYPOINT").Arguments);
    }

    [Fact]
    public void It_runs_as_a_non_root_user()
    {
        var final = FinalStage(Instructions());
        var user = final.Last(i => i.Keyword == "USER").Arguments;
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
        Assert.True(final.FindLastIndex(i => i.Keyword == "USER") < final.FindIndex(i => i.Keyword == "ENTRYPOINT"));
        var uid = user.Split(':')[0];
        Assert.Contains(final, i => i.Keyword == "RUN" && i.Arguments.Contains($"useradd --system --uid {uid}", StringComparison.Ordinal));
    }

    [Fact]
    public void Its_health_check_hits_the_workers_healthz_on_port_8080()
    {
        var final = FinalStage(Instructions());
        var check = Assert.Single(final, i => i.Keyword == "HEALTHCHECK").Arguments;
        Assert.Contains("CMD ", check, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:8080/healthz", check, StringComparison.Ordinal);
        Assert.Contains(final, i => i.Keyword == "ENV" && i.Arguments.Contains("ASPNETCORE_HTTP_PORTS=8080", StringComparison.Ordinal));
        Assert.Contains(final, i => i.Keyword == "EXPOSE" && i.Arguments == "8080");
        // curl, which the health check and the model pack download use, is installed.
        Assert.Contains(final, i => i.Keyword == "RUN" && CurlInstall().IsMatch(i.Arguments));
    }

    [GeneratedRegex(@"apt-get install .*\bcurl\b")]
    private static partial Regex CurlInstall();

    [Fact]
    public void No_model_weights_or_assets_are_baked_in()
    {
        var instructions = Instructions();
        Assert.DoesNotContain(instructions, i => i.Keyword == "ADD");
        foreach (var copy in instructions.Where(i => i.Keyword == "COPY"))
        {
            Assert.DoesNotMatch(@"\.(onnx|data|safetensors|pt|ckpt|bin|elite)\b|\bpacks?/|\bassets/|u2netp|bpe_simple_vocab", copy.Arguments);
        }

        Assert.DoesNotContain(instructions, i => i.Keyword == "RUN" && Regex.IsMatch(i.Arguments, @"(curl|wget)\s+[^|]*https?://"));

        var ignored = File.ReadAllLines(Path.Combine(Repository.Root, ".dockerignore")).Select(l => l.Trim()).ToHashSet();
        foreach (var pattern in new[] { "assets/", "packs/", "**/*.onnx", "**/*.onnx.data", "**/*.safetensors", "**/bin/", "**/obj/", ".git/" })
        {
            Assert.Contains(pattern, ignored);
        }

        Assert.DoesNotContain("gpu-worker/", ignored);
    }

    [Fact]
    public void The_restore_layer_copies_every_project_the_worker_builds_from()
    {
        var instructions = Instructions();
        var copied = instructions.Where(i => i.Keyword == "COPY" && i.Stage == 0 && i.Arguments.EndsWith('/'))
            .Select(i => i.Arguments.Split(' ')[0])
            .Where(a => a.EndsWith(".csproj", StringComparison.Ordinal))
            .ToHashSet();
        foreach (var project in copied.Where(p => !p.StartsWith("gpu-worker/Elite.Worker/", StringComparison.Ordinal)))
        {
            Assert.True(File.Exists(Path.Combine(Repository.Root, project)), $"{project} does not exist");
        }

        // The worker project comes with its own issue; once it is in the tree, its whole reference graph must be copied.
        var worker = Path.Combine(Repository.Root, "gpu-worker", "Elite.Worker", "Elite.Worker.csproj");
        if (!File.Exists(worker)) return;
        var pending = new Stack<string>([worker]);
        var seen = new HashSet<string>();
        while (pending.TryPop(out var project))
        {
            var relative = Path.GetRelativePath(Repository.Root, project).Replace('\\', '/');
            if (!seen.Add(relative)) continue;
            Assert.Contains(relative, copied);
            foreach (var reference in XDocument.Load(project).Descendants("ProjectReference"))
            {
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, (string)reference.Attribute("Include")!)));
            }
        }
    }
}
