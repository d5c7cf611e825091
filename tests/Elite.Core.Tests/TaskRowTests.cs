using Elite.Contracts.Generation;
using Elite.Core.Rows;

namespace Elite.Core.Tests;

public sealed class TaskRowTests
{
    [Fact]
    public void A_task_row_maps_to_and_from_the_parameters_of_its_image_and_keeps_the_values_the_caller_sent()
    {
        var parameters = new GenerationParameters("a photo of S", "", Seed: 42, Steps: 30, Guidance: 7.5f, Lambda: 0.6f, SchedulerKind.EulerAncestral);

        var row = TaskRow.Queued("job-1", "000007", "dog-1", parameters, sourceLine: 9);

        Assert.Equal(parameters, row.Parameters);
        Assert.Equal((0.6, 7.5, "euler_a", (string?)null, 9), (row.Lambda, row.Guidance, row.Scheduler, row.NegativePrompt, row.SourceLine));
    }
}
