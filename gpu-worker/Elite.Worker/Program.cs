using Elite.Worker;

var app = WorkerHost.Build(args);
app.Services.GetRequiredService<WorkerRuntime>(); // loads and verifies the pack before any work is taken
app.Run();
