using Puhui.Bench;

// One mode per benchmark, chosen by the first argument.
return args.FirstOrDefault() switch
{
    "ledger" => await LedgerBench.RunAsync(args[1..]),
    "methodology" => MethodologyBench.Run(args[1..]),
    "ingest" => await IngestBench.RunAsync(args[1..]),
    "ingest-http" => await IngestHttpBench.RunAsync(args[1..]),
    "redeem" => await RedeemBench.RunAsync(args[1..]),
    "expiry" => await ExpiryBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/Puhui.Bench -- <mode> [options]");
    Console.Error.WriteLine("  ledger [--store sqlite|postgres] [--transactions N] [--group N]");
    Console.Error.WriteLine("  methodology");
    Console.Error.WriteLine("  ingest [--store sqlite|postgres] [--records N] [--persons N] [--batch N] [--cluster N] [--profile]");
    Console.Error.WriteLine("  ingest-http [--store sqlite|postgres] [--records N] [--persons N] [--batch N] [--concurrency N] [--profile]");
    Console.Error.WriteLine("  redeem [--store sqlite|postgres] [--redemptions N] [--clients N] [--persons N] [--lots N] [--profile]");
    Console.Error.WriteLine("  expiry [--store sqlite|postgres] [--lots N]");
    return 2;
}
