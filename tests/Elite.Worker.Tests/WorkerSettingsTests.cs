using Elite.Core.Configuration;

namespace Elite.Worker.Tests;

public sealed class WorkerSettingsTests
{
    [Fact]
    public void The_deployment_sets_exactly_the_settings_the_worker_reads()
    {
        var fromOptions = typeof(WorkerOptions).GetProperties().Select(p => $"{WorkerOptions.SectionName}__{p.Name}").Order(StringComparer.Ordinal);
        Assert.Equal(fromOptions, AppSettings.WorkerOptionsKeys.Order(StringComparer.Ordinal));
    }
}
