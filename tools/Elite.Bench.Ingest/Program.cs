using Elite.Bench.Ingest;

return await BenchIngestCommand.Create().Parse(args).InvokeAsync();
