using Elite.Cli;
using Elite.Core.Api;
using Microsoft.Playwright;

namespace Elite.Pipeline.Tests;

/// <summary>
/// The web console in a real browser (Debian's chromium, driven by Playwright) against the functions, worker and
/// Azurite of the fixture: concepts uploaded through the API's links, a job watched to its end, its gallery, a
/// canceled job and a rejected upload. Each page's screenshot is left in <see cref="Screenshots"/> for a person to look at.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ConsoleBrowserTests(PipelineFixture fixture) : IAsyncLifetime
{
    /// <summary>Debian's chromium, which <c>./run.sh setup</c> installs; Playwright cannot download its own here.</summary>
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>How long one wait of a page may last: the tiny pack encodes and generates in seconds on CPU.</summary>
    private static readonly float WaitMs = (float)TimeSpan.FromMinutes(2).TotalMilliseconds;

    public static string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private IPlaywright? playwright;
    private IBrowser? browser;
    private IPage page = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(WaitMs);
        // The polling blob trigger misses an upload stamped in the second of one it has just seen (see Uploads).
        await Task.Delay(TimeSpan.FromSeconds(1.1));
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
    }

    [Fact]
    public async Task A_photo_is_shown_beside_the_automatic_mask_it_was_encoded_with_and_a_two_image_job_is_watched_into_the_gallery()
    {
        await OpenAsync(ApiRoutes.ConsoleStart);
        await page.GetByLabel("Photo (PNG, JPEG or WebP)").SetInputFilesAsync(CommandHelpers.AssetPath("chelsea.png"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        var card = page.Locator("#concepts > li").First;
        var conceptId = await card.GetAttributeAsync("data-concept");
        await card.Locator(".status-Ready").WaitForAsync();
        var images = card.Locator(".pair img");
        Assert.Equal(2, await images.CountAsync());
        Assert.Contains("automatic", await card.InnerTextAsync()); // u2netp's mask, as the worker kept it
        foreach (var image in await images.AllAsync()) await WaitLoadedAsync(image);
        await ScreenshotAsync("concepts");

        await card.GetByRole(AriaRole.Link, new() { Name = "Use in a job" }).ClickAsync();
        Assert.Equal(conceptId, await page.GetByLabel("Concept").InputValueAsync());
        await page.GetByLabel("Prompts").FillAsync("a photo of S on the beach");
        await page.GetByLabel("Images per prompt").FillAsync("2");
        await page.GetByLabel("Steps").FillAsync("2");
        await page.GetByLabel("Scheduler").SelectOptionAsync("ddim");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();
        await page.Locator("#watch-status .status-Succeeded").WaitForAsync();
        var thumbnails = page.Locator("#watch-tasks img");
        Assert.Equal(2, await thumbnails.CountAsync());
        foreach (var image in await thumbnails.AllAsync()) await WaitLoadedAsync(image);
        Assert.Equal("2", await page.Locator("[data-count=succeeded] b").InnerTextAsync());
        await ScreenshotAsync("jobs");

        await page.GetByRole(AriaRole.Link, new() { Name = "See its results" }).ClickAsync();
        var gallery = page.Locator("#gallery figure");
        await gallery.First.WaitForAsync();
        Assert.Equal(2, await gallery.CountAsync());
        foreach (var figure in await gallery.AllAsync())
        {
            await WaitLoadedAsync(figure.Locator("img"));
            var caption = await figure.Locator("figcaption").InnerTextAsync();
            Assert.Contains("a photo of S on the beach", caption);
            Assert.Matches(@"seed [01] · λ 0\.6", caption);
            Assert.StartsWith("http", await figure.GetByRole(AriaRole.Link, new() { NameRegex = new("^Download PNG") }).GetAttributeAsync("href"));
        }

        Assert.Equal("None.", await page.Locator("#problems").InnerTextAsync());
        await ScreenshotAsync("results");
    }

    [Fact]
    public async Task A_job_canceled_in_the_console_ends_Canceled_with_its_unstarted_images_not_generated()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var conceptId = await Uploads.ReadyConceptAsync(fixture, timeout.Token);
        await OpenAsync($"console/jobs.html?concept={conceptId}");
        await page.GetByLabel("Prompts").FillAsync("a photo of S on the moon");
        await page.GetByLabel("Images per prompt").FillAsync("24");
        await page.GetByLabel("Steps").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).ClickAsync();
        await page.Locator("#watch-status .status-Canceled").WaitForAsync();
        Assert.True(int.Parse(await page.Locator("[data-count=canceled] b").InnerTextAsync()) > 0);
        Assert.Contains("Cancel requested", await page.Locator("#cancel-message").InnerTextAsync());
        Assert.False(await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job" }).IsVisibleAsync());
        await ScreenshotAsync("jobs-canceled");
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_uploaded_from_the_keyboard_is_shown_rejected_with_the_reason_and_can_be_deleted()
    {
        var notAnImage = Path.Combine(Screenshots, "not-an-image.png");
        await File.WriteAllTextAsync(notAnImage, "this is not an image");
        await OpenAsync(ApiRoutes.ConsoleStart);
        await page.GetByLabel("Photo (PNG, JPEG or WebP)").SetInputFilesAsync(notAnImage);
        // From the keyboard: the mask's field, then Tab to the Upload button, then Enter.
        await page.GetByLabel("Mask (optional)").FocusAsync();
        await page.Keyboard.PressAsync("Tab");
        Assert.Equal("Upload", await page.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await page.Keyboard.PressAsync("Enter");
        var card = page.Locator("#concepts > li").First;
        await card.Locator(".status-Rejected").WaitForAsync();
        var reason = await card.Locator(".reason").InnerTextAsync();
        Assert.Contains("photo.png", reason);
        Assert.Equal(0, await card.Locator("img").CountAsync());
        await ScreenshotAsync("concepts-rejected");

        var conceptId = await card.GetAttributeAsync("data-concept");
        await card.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        var gone = await Assert.ThrowsAsync<PipelineApiException>(() => fixture.Api.GetConceptAsync(conceptId!, CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.Status);
    }

    private async Task OpenAsync(string route)
    {
        var response = await page.GotoAsync(new Uri(fixture.FunctionsUrl, "/" + ApiRoutes.Prefix + route).ToString());
        Assert.True(response is { Ok: true }, $"{route}: {response?.Status}");
    }

    /// <summary>Waits until the image has loaded and decoded: a broken link never gets a natural width.</summary>
    private static async Task WaitLoadedAsync(ILocator image) =>
        Assert.True(await image.EvaluateAsync<int>("img => img.decode().then(() => img.naturalWidth)") > 0);

    /// <summary>Writes the page's screenshot, after checking that no missing value was shown as text.</summary>
    private async Task ScreenshotAsync(string name)
    {
        Assert.DoesNotMatch(@"\b(null|undefined|NaN)\b", await page.Locator("main").InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }
}
