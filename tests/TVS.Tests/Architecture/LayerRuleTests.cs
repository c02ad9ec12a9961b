using System.Reflection;
using System.Runtime.InteropServices;
using System.Xml.Linq;

namespace TVS.Tests.Architecture;

/// <summary>
/// The layer rule of docs/architecture.md ("Layers"): a project references only the layers below
/// it, read from every csproj of the repository (what someone adds) and from the built assemblies'
/// metadata (what the code uses). The auditor's assembly takes nothing of the server and no
/// package beyond those of crypto, Merkle and the protocol, so an auditor can build the verifier
/// alone. A new project fails here until it is given a layer.
/// </summary>
public sealed class LayerRuleTests
{
    /// <summary>Layer of every project, by assembly name: lower may not reference higher or equal.</summary>
    internal static readonly IReadOnlyDictionary<string, Layer> Layers = new Dictionary<string, Layer>
    {
        ["TVS.Crypto"] = Layer.Crypto,
        ["TVS.Merkle"] = Layer.Merkle,
        ["TVS.Protocol"] = Layer.Protocol,
        ["TVS.Pkcs11"] = Layer.Protocol, // hardware keys: crypto and Merkle only, beside the protocol
        ["TVS.Audit"] = Layer.AuditOrEngine,
        ["TVS.Engine"] = Layer.AuditOrEngine,
        ["TVS.Storage"] = Layer.StorageOrIngest,
        ["TVS.Ingest"] = Layer.StorageOrIngest,
        ["TVS.Issuer"] = Layer.StorageOrIngest,
        ["TVS.Witness"] = Layer.StorageOrIngest,
        ["TVS.Simulation"] = Layer.Tools,
        ["TVS.LoadGen"] = Layer.Tools,
        ["tvs"] = Layer.Tools,
        ["TVS.Tests"] = Layer.TestsAndBench,
        ["TVS.NullifierCrashHelper"] = Layer.TestsAndBench,
        ["TVS.Bench"] = Layer.TestsAndBench,
        ["PgCopyBench"] = Layer.TestsAndBench,
        ["ReceiptsBench"] = Layer.TestsAndBench,
    };

    internal enum Layer
    {
        Crypto,
        Merkle,
        Protocol,
        AuditOrEngine,
        StorageOrIngest,
        /// <summary>The CLI, the load generator and the test/demo helpers.</summary>
        Tools,
        TestsAndBench,
    }

    /// <summary>One project as its csproj declares it.</summary>
    internal sealed record Project(string Name, string Path, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences, IReadOnlyList<string> FrameworkReferences);

    /// <summary>Every violation of the rule in <paramref name="projects"/> (empty when it holds).</summary>
    internal static List<string> Violations(IReadOnlyCollection<Project> projects)
    {
        var errors = new List<string>();
        var byName = projects.ToDictionary(p => p.Name);
        foreach (var p in projects)
        {
            if (!Layers.TryGetValue(p.Name, out var mine))
            {
                errors.Add($"{p.Path}: {p.Name} has no layer (add it to LayerRuleTests.Layers and docs/architecture.md)");
                continue;
            }
            foreach (var r in p.ProjectReferences)
            {
                if (!Layers.TryGetValue(r, out var theirs))
                {
                    errors.Add($"{p.Path}: references {r}, which has no layer");
                }
                else if (!MayReference(mine, theirs))
                {
                    errors.Add($"{p.Path}: {p.Name} ({mine}) references {r} ({theirs}): only layers below may be referenced");
                }
            }
        }
        // The auditor's assembly: crypto, Merkle, protocol and their packages, nothing else.
        if (byName.TryGetValue("TVS.Audit", out var audit))
        {
            string[] below = ["TVS.Crypto", "TVS.Merkle", "TVS.Protocol"];
            foreach (var r in audit.ProjectReferences.Except(below))
            {
                errors.Add($"{audit.Path}: the audit assembly references {r}; it may reference {string.Join(", ", below)} only");
            }
            var packages = below.Where(byName.ContainsKey).SelectMany(b => byName[b].PackageReferences).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var package in audit.PackageReferences.Where(x => !packages.Contains(x)))
            {
                errors.Add($"{audit.Path}: the audit assembly references package {package}, which crypto, Merkle and the protocol do not use");
            }
            foreach (var framework in audit.FrameworkReferences)
            {
                errors.Add($"{audit.Path}: the audit assembly references the shared framework {framework}");
            }
        }
        return errors;
    }

    // Tools compose one another (the CLI runs the load generator), tests start their helper
    // processes: within those two layers a reference to the same layer is allowed, nowhere else.
    private static bool MayReference(Layer from, Layer to) => to < from || (from == to && from >= Layer.Tools);

    /// <summary>Every csproj of the repository (node_modules, bin and obj excluded).</summary>
    internal static List<Project> ReadProjects(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(d => d is "node_modules" or "bin" or "obj" or ".git"))
            .ToList();
        var names = files.ToDictionary(Path.GetFullPath, AssemblyName);
        return files.Select(f =>
        {
            var x = XDocument.Load(f);
            string dir = Path.GetDirectoryName(f)!;
            IEnumerable<string> Includes(string element) => x.Descendants(element).Select(e => (string?)e.Attribute("Include")).OfType<string>();
            var refs = Includes("ProjectReference")
                .Select(r => Path.GetFullPath(Path.Combine(dir, r.Replace('\\', Path.DirectorySeparatorChar))))
                .Select(r => names.TryGetValue(r, out var n) ? n : r)
                .ToList();
            return new Project(names[Path.GetFullPath(f)], Path.GetRelativePath(root, f), refs, Includes("PackageReference").ToList(), Includes("FrameworkReference").ToList());
        }).ToList();
    }

    private static string AssemblyName(string csproj)
        => XDocument.Load(csproj).Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault() ?? Path.GetFileNameWithoutExtension(csproj);

    [Fact]
    public void Every_project_references_only_the_layers_below_it()
    {
        var projects = ReadProjects(ExternalTools.RepoRoot());
        Assert.Contains(projects, p => p.Name == "TVS.Audit");
        var errors = Violations(projects);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void The_built_assemblies_use_only_the_layers_below_them()
    {
        var errors = new List<string>();
        foreach (var (name, layer) in Layers.Where(l => l.Value < Layer.Tools))
        {
            foreach (var r in Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).Where(Layers.ContainsKey))
            {
                if (!MayReference(layer, Layers[r]))
                {
                    errors.Add($"{name}.dll ({layer}) uses {r} ({Layers[r]})");
                }
            }
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void The_audit_assembly_uses_nothing_but_crypto_Merkle_the_protocol_and_the_runtime()
    {
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string[] allowed = ["TVS.Crypto", "TVS.Merkle", "TVS.Protocol"];
        var theirs = allowed.SelectMany(a => Assembly.Load(a).GetReferencedAssemblies()).Select(a => a.Name!).ToHashSet();
        var foreign = Assembly.Load("TVS.Audit").GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => !allowed.Contains(n) && !theirs.Contains(n) && !File.Exists(Path.Combine(runtime, n + ".dll")))
            .ToList();
        Assert.True(foreign.Count == 0, "TVS.Audit.dll uses " + string.Join(", ", foreign));
    }

    [Fact]
    public void The_rule_catches_a_forbidden_reference()
    {
        var projects = ReadProjects(ExternalTools.RepoRoot());
        Project With(string name, Func<Project, Project> change) => change(projects.Single(p => p.Name == name));
        List<string> ViolationsAfter(Project changed) => Violations(projects.Where(p => p.Name != changed.Name).Append(changed).ToList());

        var auditUsesEngine = With("TVS.Audit", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Engine"] });
        Assert.Contains(ViolationsAfter(auditUsesEngine), e => e.Contains("TVS.Audit (AuditOrEngine) references TVS.Engine", StringComparison.Ordinal));
        Assert.Contains(ViolationsAfter(With("TVS.Audit", p => p with { PackageReferences = [.. p.PackageReferences, "Npgsql"] })), e => e.Contains("package Npgsql", StringComparison.Ordinal));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Audit", p => p with { FrameworkReferences = ["Microsoft.AspNetCore.App"] })));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Protocol", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Engine"] })));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Engine", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Storage"] })));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Ingest", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Storage"] })));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Crypto", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Simulation"] })));
        Assert.NotEmpty(ViolationsAfter(With("TVS.Engine", p => p with { ProjectReferences = [.. p.ProjectReferences, "TVS.Simulation"] })));
        Assert.NotEmpty(Violations([.. projects, new Project("TVS.New", "new/TVS.New.csproj", [], [], [])]));
    }
}
