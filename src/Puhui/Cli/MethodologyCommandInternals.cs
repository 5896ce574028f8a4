using System.Runtime.CompilerServices;

// The methodology command's tests invoke it in-process and check its exit codes.
[assembly: InternalsVisibleTo("Puhui.Tests")]
