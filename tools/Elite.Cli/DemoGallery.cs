using System.Globalization;
using System.Net;
using System.Text;

namespace Elite.Cli;

/// <summary>One generated image of the demo: its file beside the gallery and how it was made.</summary>
internal sealed record DemoImage(string File, string Prompt, long Seed, double Lambda, int Steps, string Scheduler);

/// <summary>
/// The demo's <c>index.html</c>: the concept photo and the mask its encoding used above the results, each image a link
/// to its full-size file, with the settings and the time per image.
/// </summary>
internal static class DemoGallery
{
    public static string Html(string jobId, string conceptId, string photoFile, string maskFile, string maskSource, IReadOnlyList<DemoImage> images, TimeSpan generation)
    {
        var html = new StringBuilder("""
            <!doctype html>
            <html lang="en"><meta charset="utf-8"><title>ELITE demo</title>
            <style>
            body{font-family:system-ui,sans-serif;color:#1b1f24;max-width:72rem;margin:0 auto;padding:1rem 1.5rem}
            .row{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0;width:256px}
            img{width:256px;height:256px;object-fit:contain;background:#f3f5f8;border:1px solid #c9d0d9;border-radius:4px;display:block}
            figcaption{font-size:.9rem;margin-top:.25rem}.meta{color:#4a5360}
            </style>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<h1>Job {Encode(jobId)}</h1>");
        html.Append("<p>Tiny model pack: the images are noise. Build a real pack with <code>elite models build --preset sd14-elite</code>.</p>");
        html.Append(CultureInfo.InvariantCulture, $"<h2>Concept {Encode(conceptId)}</h2><div class=\"row\">");
        html.Append(Figure(photoFile, "The concept photo", "Photo"));
        html.Append(Figure(maskFile, $"The mask its encoding used ({maskSource})", $"Mask ({Encode(maskSource)})"));
        html.Append("</div>");
        var perImage = images.Count == 0 ? TimeSpan.Zero : generation / images.Count;
        html.Append(CultureInfo.InvariantCulture,
            $"<h2>Results</h2><p>{images.Count} images in {generation.TotalSeconds:0.0} s from the first start to the last image: {perImage.TotalSeconds:0.00} s per image (the worker generates them in batches).</p><div class=\"row\">");
        foreach (var image in images)
        {
            html.Append(Figure(image.File, $"“{image.Prompt}”, seed {image.Seed}",
                string.Create(CultureInfo.InvariantCulture, $"{Encode(image.Prompt)}<br><span class=\"meta\">seed {image.Seed} · λ {image.Lambda:0.##} · {image.Steps} steps · {Encode(image.Scheduler)}</span>")));
        }

        return html.Append("</div></html>\n").ToString();
    }

    private static string Figure(string file, string alt, string captionHtml) =>
        $"<figure><a href=\"{Encode(file)}\"><img src=\"{Encode(file)}\" alt=\"{Encode(alt)}\"></a><figcaption>{captionHtml}</figcaption></figure>";

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
