using System.CommandLine;
using System.Diagnostics;
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
/// webhook, and writes an HTML gallery: the concept photo and the mask it was encoded with, then the results.
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
        var photoFile = "concept" + Path.GetExtension(imagePath);
        File.Copy(imagePath, Path.Combine(outputDirectory, photoFile), overwrite: true);
        concept = await api.GetConceptAsync(conceptId, cancellationToken);
        const string maskFile = "mask.png";
        await File.WriteAllBytesAsync(Path.Combine(outputDirectory, maskFile), await MaskAsync(concept, cancellationToken), cancellationToken);

        var settings = new Dictionary<string, TaskRow>();
        await foreach (var row in clients.Table(StorageNames.Tables.Tasks).QueryAsync<TaskRow>(t => t.PartitionKey == jobId, cancellationToken: cancellationToken)) settings[row.TaskId] = row;
        var images = new List<DemoImage>();
        foreach (var task in job.Tasks.Where(t => t.Status == ImageTaskStatus.Succeeded))
        {
            var file = $"{task.Id}.png";
            var blob = BlobPaths.Result(jobId, task.Id);
            await clients.Container(StorageNames.Containers.Results).GetBlobClient(blob).DownloadToAsync(Path.Combine(outputDirectory, file), cancellationToken);
            images.Add(new DemoImage(file, task.Prompt, task.Seed, task.Lambda, settings[task.Id].Steps, settings[task.Id].Scheduler));
            output.WriteLine($"   results/{blob}");
        }

        var generation = job.StartedAt is { } started && job.CompletedAt is { } completed ? completed - started : TimeSpan.Zero;
        var galleryPath = Path.Combine(outputDirectory, "index.html");
        await File.WriteAllTextAsync(galleryPath, DemoGallery.Html(jobId, conceptId, photoFile, maskFile, concept.MaskSource ?? "", images, generation), cancellationToken);
        output.WriteLine($"5. job {job.Status} in {clock.Elapsed.TotalSeconds:F0} s; gallery: {galleryPath}");
        output.WriteLine("   (tiny-pack images are noise: build a real pack from SD v1.4, CLIP ViT-L/14 and ELITE's checkpoints with elite models build --preset sd14-elite)");
        return job.Status == JobStatus.Succeeded ? 0 : 1;
    }

    /// <summary>The mask the encoding used, as a PNG, through the API's link (the uploaded mask, or the one the worker kept).</summary>
    private static async Task<byte[]> MaskAsync(ConceptView concept, CancellationToken cancellationToken)
    {
        var link = concept.Mask ?? throw new InvalidOperationException($"concept {concept.Id} is Ready but has no mask link");
        using var http = new HttpClient();
        return await http.GetByteArrayAsync(link, cancellationToken);
    }
}
