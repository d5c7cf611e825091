using System.CommandLine;
using Elite.Core.Rows;

namespace Elite.Cli;

/// <summary><c>elite concepts upload|status|delete</c>: concepts through the functions' HTTP API, as any caller makes them.</summary>
internal static class ConceptsCommand
{
    public static Command Create()
    {
        var (api, key) = ApiCommand.Options();
        return new Command("concepts", "Create concepts from photos through the HTTP API, follow and delete them.")
        {
            Upload(api, key), Status(api, key), Delete(api, key),
        };
    }

    private static Command Upload(Option<string?> api, Option<string?> key)
    {
        var photo = new Argument<FileInfo>("photo") { Description = "The concept's photo (png, jpg, jpeg or webp)." };
        var mask = new Option<FileInfo?>("--mask") { Description = "The object's mask (white on black), if you have one; otherwise it is found automatically." };
        var wait = new Option<bool>("--wait") { Description = "Wait until it is encoded (exit 0 when Ready)." };
        var command = new Command("upload", "Create a concept and upload its photo (and mask) through the links the API gives.") { api, key, photo, mask, wait };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var photoFile = parse.GetValue(photo)!;
            var maskFile = parse.GetValue(mask);
            var created = await client.CreateConceptAsync(TypeOf(photoFile), maskFile is null ? null : TypeOf(maskFile), cancellationToken);
            await PipelineApi.UploadAsync(created.PhotoUploadUrl, await File.ReadAllBytesAsync(photoFile.FullName, cancellationToken), cancellationToken);
            if (maskFile is not null) await PipelineApi.UploadAsync(created.MaskUploadUrl!, await File.ReadAllBytesAsync(maskFile.FullName, cancellationToken), cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"concept {created.Id}: uploaded; use it as conceptId (the placeholder S in prompts)");
            if (!parse.GetValue(wait)) return 0;
            var concept = await client.WaitForConceptAsync(created.Id, TimeSpan.FromSeconds(1), cancellationToken);
            output.WriteLine($"concept {concept.Id}: {concept.Status}{(concept.Reason is null ? "" : $": {concept.Reason}")}");
            return concept.Status == ConceptStatus.Ready ? 0 : 1;
        }));
        return command;
    }

    private static Command Status(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("concept-id") { Description = "The concept id." };
        var command = new Command("status", "Show a concept: Pending, Ready, Rejected or Failed, with the reason.") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            var concept = await client.GetConceptAsync(parse.GetValue(id)!, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"concept {concept.Id}: {concept.Status}{(concept.Reason is null ? "" : $": {concept.Reason}")}");
            return 0;
        }));
        return command;
    }

    private static Command Delete(Option<string?> api, Option<string?> key)
    {
        var id = new Argument<string>("concept-id") { Description = "The concept id." };
        var command = new Command("delete", "Delete a concept you created: its photo, mask and embeddings (refused while a job of it runs).") { api, key, id };
        command.SetAction((parse, cancellationToken) => ApiCommand.GuardAsync(parse, api, key, cancellationToken, async client =>
        {
            await client.DeleteConceptAsync(parse.GetValue(id)!, cancellationToken);
            parse.InvocationConfiguration.Output.WriteLine($"concept {parse.GetValue(id)}: deleted");
            return 0;
        }));
        return command;
    }

    private static string TypeOf(FileInfo file) =>
        file.Exists ? file.Extension.TrimStart('.') : throw new FileNotFoundException($"{file.FullName} does not exist");
}
