using Appliance.Api.Cli;

return await ApiCommands.RunAsync(args);
