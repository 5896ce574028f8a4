using Puhui.Host.Cli;

return await PuhuiCommand.RunAsync(args);
