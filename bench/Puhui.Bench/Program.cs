using Puhui.Bench;

// One mode per benchmark, chosen by the first argument.
return args.FirstOrDefault() switch
{
    "methodology" => MethodologyBench.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Puhui.Bench <mode> [options]; modes: methodology");
    return 2;
}
