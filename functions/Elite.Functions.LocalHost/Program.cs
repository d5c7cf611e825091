using Elite.Functions.LocalHost;

LocalFunctionsHost.Build(args).Run();
