namespace TVS.Tests;

/// <summary>
/// Test classes that run <c>tvs</c> verbs in this process. The CLI writes to <see cref="Console"/>,
/// which is global: two of them at once would mix their outputs (a demo's JSON once began with
/// another test's ceremony lines), so they run one after another.
/// </summary>
[CollectionDefinition(Name)]
public sealed class InProcessCliCollection
{
    public const string Name = "in-process tvs CLI";
}
