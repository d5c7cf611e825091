using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using Azure.Storage.Blobs.Models;
using Elite.Core;
using Elite.Core.Api;
using Elite.Core.Jobs;
using Elite.Core.Rows;
using Elite.Core.Storage;
using Elite.Core.Webhooks;

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
        var api = new Option<string>("--api") { Description = "Base URL of the functions' HTTP API, e.g. http://127.0.0.1:7071.", Required = true };
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

    private static async Task<int> RunAsync(Uri apiUrl, string imagePath, string secret, string outputDirectory, int steps, TextWriter output, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var clients = CommandHelpers.StorageFromEnvironment();
        using var api = new PipelineApi(apiUrl, functionKey: null);
        await using var receiver = new WebhookReceiver(new WebhookVerifier(secret));
        var conceptId = $"demo-{DateTime.UtcNow:yyyyMMddHHmmss}";

        output.WriteLine($"1. uploading {Path.GetFileName(imagePath)} as concept {conceptId}");
        await clients.Container(StorageNames.Containers.Concepts).GetBlobClient(BlobPaths.ConceptFile(conceptId, "photo.png"))
            .UploadAsync(imagePath, cancellationToken);
        var concept = await api.WaitForConceptAsync(conceptId, TimeSpan.FromSeconds(1), cancellationToken);
        output.WriteLine($"   concept {concept.Status} ({(concept.Status == ConceptStatus.Ready ? $"mask from {concept.MaskSource}" : concept.Reason)})");
        if (concept.Status != ConceptStatus.Ready) return 1;

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
        var job = await api.WatchJobAsync(jobId, TimeSpan.FromSeconds(1), j => output.WriteLine($"   {j.Status}: {j.SucceededCount}/{j.TaskCount} images"), cancellationToken, waitUntilExists: true);
        var webhook = await receiver.NextAsync(cancellationToken);
        output.WriteLine($"4. webhook {webhook.Id} received, signature verified: {webhook.Text}");

        Directory.CreateDirectory(outputDirectory);
        var gallery = new StringBuilder("<!doctype html><meta charset=utf-8><title>ELITE demo</title><style>body{font-family:sans-serif}figure{display:inline-block;margin:8px;width:256px}img{width:256px}</style>");
        gallery.Append($"<h1>Job {WebUtility.HtmlEncode(jobId)}</h1><p>Tiny model pack: the images are noise. Build a real pack with <code>elite models build --preset sd14-elite</code>.</p>");
        foreach (var task in job.Tasks.Where(t => t.Status == ImageTaskStatus.Succeeded))
        {
            var file = $"{task.Id}.png";
            var blob = BlobPaths.Result(jobId, task.Id);
            await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).DownloadToAsync(Path.Combine(outputDirectory, file), cancellationToken);
            gallery.Append($"<figure><img src=\"{file}\"><figcaption>{WebUtility.HtmlEncode(task.Prompt)}<br>seed {task.Seed}, λ {task.Lambda:0.##}</figcaption></figure>");
            output.WriteLine($"   results/{blob}");
        }

        var galleryPath = Path.Combine(outputDirectory, "index.html");
        await File.WriteAllTextAsync(galleryPath, gallery.ToString(), cancellationToken);
        output.WriteLine($"5. job {job.Status} in {clock.Elapsed.TotalSeconds:F0} s; gallery: {galleryPath}");
        output.WriteLine("   (tiny-pack images are noise: build a real pack from SD v1.4, CLIP ViT-L/14 and ELITE's checkpoints with elite models build --preset sd14-elite)");
        return job.Status == JobStatus.Succeeded ? 0 : 1;
    }
}
