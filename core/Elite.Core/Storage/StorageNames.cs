namespace Elite.Core.Storage;

/// <summary>
/// The one place where container, queue and table names are written. Constants, so that trigger
/// attributes (<c>[QueueTrigger(StorageNames.Queues.Encode)]</c>) can use them too.
/// </summary>
public static class StorageNames
{
    public static class Containers
    {
        /// <summary>Uploaded concept photos and optional masks: <c>{conceptId}/{file}</c>.</summary>
        public const string Concepts = "concepts";

        /// <summary>Prompt CSVs that become jobs: <c>{name}.csv</c>.</summary>
        public const string Jobs = "jobs";

        /// <summary>Encoded concepts (ELITE word + local embeddings): <c>{conceptId}/{packId}.elite</c>.</summary>
        public const string Embeddings = "embeddings";

        /// <summary>Generated images: <c>{jobId}/{taskId}.png</c>.</summary>
        public const string Results = "results";

        /// <summary>Blob events Event Grid gave up delivering (in Azure); the reconciler registers their uploads anyway.</summary>
        public const string EventDeadLetters = "event-dead-letters";

        public static IReadOnlyList<string> All { get; } = [Concepts, Jobs, Embeddings, Results, EventDeadLetters];
    }

    public static class Queues
    {
        public const string PoisonSuffix = "-poison";

        public const string Encode = "encode";
        /// <summary>The interactive lane of generate tasks; <see cref="GenerateBulk"/> holds larger jobs (<see cref="Jobs.JobLanes"/>).</summary>
        public const string Generate = "generate";
        public const string GenerateBulk = "generate-bulk";
        public const string JobEvents = "job-events";

        /// <summary>A concept with a webhook became Ready, Rejected or Failed.</summary>
        public const string ConceptEvents = "concept-events";

        public const string EncodePoison = Encode + PoisonSuffix;
        /// <summary>Both lanes' tasks that cannot be processed.</summary>
        public const string GeneratePoison = Generate + PoisonSuffix;
        public const string JobEventsPoison = JobEvents + PoisonSuffix;
        public const string ConceptEventsPoison = ConceptEvents + PoisonSuffix;

        public static IReadOnlyList<string> All { get; } =
            [Encode, EncodePoison, Generate, GenerateBulk, GeneratePoison, JobEvents, JobEventsPoison, ConceptEvents, ConceptEventsPoison];
    }

    public static class Tables
    {
        public const string Concepts = "Concepts";
        public const string Jobs = "Jobs";
        public const string Tasks = "Tasks";

        /// <summary>The workers running now: one heartbeat row each (<see cref="Rows.WorkerRow"/>).</summary>
        public const string Workers = "Workers";

        public static IReadOnlyList<string> All { get; } = [Concepts, Jobs, Tasks, Workers];
    }
}
