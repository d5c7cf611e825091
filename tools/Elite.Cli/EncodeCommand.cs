using System.CommandLine;
using Elite.Inference.Concepts;
using Elite.Inference.Imaging;
using Elite.Inference.Runtime;

namespace Elite.Cli;

/// <summary><c>elite encode</c>: a photo (and optional mask) to a concept embedding file.</summary>
internal static class EncodeCommand
{
    public static Command Create()
    {
        var inference = new InferenceOptions();
        var image = new Option<FileInfo>("--image") { Description = "The concept photo (PNG, JPEG or WebP).", Required = true };
        var mask = new Option<FileInfo?>("--mask") { Description = "Object mask, same size as the photo, white = object. Without it: the photo's alpha, else an automatic u2netp mask." };
        var output = new Option<FileInfo>("--out") { Description = "The .elite file to write.", Required = true };
        var dump = new Option<DirectoryInfo?>("--dump") { Description = "Also write the preprocessed tensors, mask16 and the words as .npy files here." };
        var command = new Command("encode", "Encode a concept photo once into ELITE's word and local embeddings.") { image, mask, output, dump };
        foreach (var option in inference.All) command.Options.Add(option);
        command.SetAction((parse, cancellationToken) => Task.FromResult(CommandHelpers.Guard(parse, () =>
        {
            using var models = inference.Load(parse);
            var concept = ConceptInput.Encode(models, parse.GetValue(image)!.FullName, parse.GetValue(mask)?.FullName, parse.GetValue(dump)?.FullName, cancellationToken);
            var path = parse.GetValue(output)!.FullName;
            CommandHelpers.WriteAtomically(path, ConceptEmbeddingFile.Write(concept));
            parse.InvocationConfiguration.Output.WriteLine($"{path}: concept for pack {concept.PackId}, mask from {concept.MaskSource}");
            return 0;
        })));
        return command;
    }
}
