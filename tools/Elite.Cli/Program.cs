using Elite.Cli;

return await EliteCommand.Create().Parse(args).InvokeAsync();
