using System.Runtime.CompilerServices;

// The tests compare the compiled delegates with the tree-walking interpreter, which is not public surface.
[assembly: InternalsVisibleTo("Puhui.Tests")]
