using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Elite.Core.Jobs;
using Elite.Core.Storage;
using Elite.Core.Webhooks;
using Microsoft.Extensions.Configuration;

namespace Elite.Cli;

/// <summary>
/// <c>elite demo</c>: the main job end to end against running functions and worker (./run.sh demo starts
/// them): uploads a concept photo and a prompt CSV, follows the job, receives and verifies the signed
/// webhook, and writes an HTML gallery of the results.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var api = new Option<string>("--api") { Description = "Base URL of the functions' HTTP API, e.g. http://127.0.0.1:7071/api/.", Required = true };
        var image = new Option<FileInfo>("--image") { Description = "The concept photo.", Required = true };
        var secret = new Option<string>("--webhook-secret") { Description = "The functions' webhook signing secret, to verify the webhook.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the result images and the gallery.", Required = true };
        var steps = new Option<int>("--steps") { Description = "Denoising steps.", DefaultValueFactory = _ => 10 };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the whole job.", DefaultValueFactory = _ => 600 };
        var command = new Command("demo", "Run the main job end to end against running functions and worker (./run.sh demo starts them).")
        {
            api, image, secret, output, steps, timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(TimeSpan.FromSeconds(parse.GetValue(timeout)));
            try
            {
                return await RunAsync(new Uri(parse.GetValue(api)!), parse.GetValue(image)!.FullName, parse.GetValue(secret)!, parse.GetValue(output)!.FullName, parse.GetValue(steps), parse.InvocationConfiguration.Output, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"elite demo: the job did not finish within {parse.GetValue(timeout)} s.");
                return 1;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(Uri api, string imagePath, string secret, string outputDirectory, int steps, TextWriter output, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var clients = new StorageClients(StorageConnection.FromConfiguration(new ConfigurationBuilder().AddEnvironmentVariables().Build()));
        using var http = new HttpClient { BaseAddress = api };
        using var receiver = new WebhookReceiver(new WebhookVerifier(secret));
        var conceptId = $"demo-{DateTime.UtcNow:yyyyMMddHHmmss}";

        output.WriteLine($"1. uploading {Path.GetFileName(imagePath)} as concept {conceptId}");
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"))
            .UploadAsync(imagePath, cancellationToken);
        var concept = await PollAsync(http, $"concepts/{conceptId}", c => c.TryGetProperty("status", out var s) && s.GetString() is "Ready" or "Rejected" or "Failed", cancellationToken);
        output.WriteLine($"   concept {concept.GetProperty("status").GetString()} (mask from {concept.GetProperty("maskSource")})");
        if (concept.GetProperty("status").GetString() != "Ready") return 1;

        string[] prompts = ["a photo of S on the beach", "S in a watercolor painting", "a close-up of S, studio lighting", "S wearing a red hat"];
        var csv = new StringBuilder("concept_id,prompt,seed\n");
        for (var i = 0; i < prompts.Length; i++) csv.Append($"{conceptId},\"{prompts[i]}\",{i + 1}\n");
        var csvName = conceptId + ".csv";
        output.WriteLine($"2. uploading {csvName} with {prompts.Length} prompts; webhook {receiver.Url}");
        var uploaded = await clients.Container(StorageNames.Containers.Jobs).GetBlobClient(csvName).UploadAsync(
            new BinaryData(csv.ToString()),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { [CsvJobMetadata.WebhookUrl] = receiver.Url, [CsvJobMetadata.Steps] = steps.ToString() } },
            cancellationToken);
        var jobId = CsvJobIntake.JobIdFor(conceptId, uploaded.Value.ETag.ToString()); // the trigger names the blob without ".csv"

        output.WriteLine($"3. job {jobId}: waiting for the worker and the signed webhook");
        var last = "";
        var job = await PollAsync(http, $"jobs/{jobId}", j =>
        {
            var line = $"   {j.GetProperty("status").GetString()}: {j.GetProperty("succeededCount")}/{j.GetProperty("taskCount")} images";
            if (line != last) output.WriteLine(last = line);
            return j.GetProperty("status").GetString() is "Succeeded" or "PartiallySucceeded" or "Failed";
        }, cancellationToken);
        var webhook = await receiver.NextAsync(cancellationToken);
        output.WriteLine($"4. webhook {webhook.Id} received, signature verified: {webhook.Body}");

        Directory.CreateDirectory(outputDirectory);
        var gallery = new StringBuilder("<!doctype html><meta charset=utf-8><title>ELITE demo</title><style>body{font-family:sans-serif}figure{display:inline-block;margin:8px;width:256px}img{width:256px}</style>");
        gallery.Append($"<h1>Job {WebUtility.HtmlEncode(jobId)}</h1><p>Tiny model pack: the images are noise. Build a real pack with <code>elite models build --preset sd14-elite</code>.</p>");
        foreach (var task in job.GetProperty("tasks").EnumerateArray().Where(t => t.GetProperty("status").GetString() == "Succeeded"))
        {
            var file = $"{task.GetProperty("id").GetString()}.png";
            var blob = BlobPaths.Result(jobId, task.GetProperty("id").GetString()!);
            await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).DownloadToAsync(Path.Combine(outputDirectory, file), cancellationToken);
            gallery.Append($"<figure><img src=\"{file}\"><figcaption>{WebUtility.HtmlEncode(task.GetProperty("prompt").GetString())}<br>seed {task.GetProperty("seed")}, λ 0.6</figcaption></figure>");
            output.WriteLine($"   results/{blob}");
        }

        var galleryPath = Path.Combine(outputDirectory, "index.html");
        await File.WriteAllTextAsync(galleryPath, gallery.ToString(), cancellationToken);
        output.WriteLine($"5. job {job.GetProperty("status").GetString()} in {clock.Elapsed.TotalSeconds:F0} s; gallery: {galleryPath}");
        output.WriteLine("   (tiny-pack images are noise: build a real pack from SD v1.4, CLIP ViT-L/14 and ELITE's checkpoints with elite models build --preset sd14-elite)");
        return job.GetProperty("status").GetString() == "Succeeded" ? 0 : 1;
    }

    private static async Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var response = await http.GetAsync(path, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                var value = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
                if (done(value)) return value;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }
}
