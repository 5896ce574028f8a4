using Puhui.Bench;

return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Puhui.Bench -- ledger [--store sqlite|postgres] [--transactions N] [--group N]");
    return 2;
}
