using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using TVS.Cli;
using TVS.Engine.IO;
using TVS.Engine.Tally;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Merkle.Tiles;
using TVS.Storage.Local;
using TVS.Tests.Witness;
using Xunit.Abstractions;

namespace TVS.Tests.Tally;

/// <summary>
/// <c>tvs record export</c> killed with SIGKILL in the middle of the board's copy, then run again:
/// it skips what is there and finishes with the same files as an export that was never
/// interrupted. The election is closed over a board of 307,200 entries built with the publisher's
/// tile writer, so the copy takes long enough to be killed mid-way.
/// </summary>
public sealed class ExportResumeTests(ITestOutputHelper output) : IDisposable
{
    private const long Entries = 256 * 1200;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private sealed class BoardSink(IRecordStore store) : ITileSink
    {
        public void Write(string path, ReadOnlySpan<byte> content) => store.Put(BoardPartition.PathOf(0, path), content);
    }

    /// <summary>An embedded data directory and board of one partition closed at <see cref="Entries"/> entries (no engine: the files an engine and its publisher leave).</summary>
    private (ElectionSetup Election, string Data, string Tally) ClosedElection()
    {
        var election = ElectionSetup.CreateSimulated(Path.Combine(_dir.Path, "election"));
        File.WriteAllText(Path.Combine(election.Directory, ContestList.FileName), "{}\n");
        File.WriteAllText(Path.Combine(election.Directory, ElectionRecord.ElectionKeyFile), "{}\n");
        string data = Path.Combine(_dir.Path, "data");
        var builder = TileBuilder.Empty();
        using (var board = new DirectoryRecordStore(Path.Combine(data, "board")))
        {
            var sink = new BoardSink(board);
            var entry = new byte[40];
            for (long i = 0; i < Entries; i++)
            {
                BitConverter.TryWriteBytes(entry, i);
                builder.Append(entry.AsSpan(0, 8 + (int)(i % 32)), sink);
            }
            builder.WritePartials(sink);
            string note = new Checkpoint(election.Origin(0), Entries, builder.Root, []).Sign(election.Signer);
            board.Put(RecordLayout.BoardCheckpoint(0), Encoding.UTF8.GetBytes(note));
            string checkpoints = LocalPartition.CheckpointDirectory(data, 0);
            Directory.CreateDirectory(checkpoints);
            File.WriteAllText(Path.Combine(checkpoints, $"{Entries:D12}.note"), note);
            File.WriteAllText(Path.Combine(checkpoints, LocalCheckpointSink.LatestFile), note);
            string votes = LocalPartition.VotesDirectory(data, 0);
            Directory.CreateDirectory(votes);
            File.WriteAllText(Path.Combine(votes, LocalVoteStore.ProgressFile), new JsonObject
            {
                ["nextOffset"] = Entries,
                ["mmrSize"] = Entries,
                ["mmrRoot"] = builder.Root.ToHex(),
                ["accepted"] = Entries,
                ["rejected"] = 0,
                ["votesLength"] = 0,
            }.ToJsonString());
            string close = CloseStatement.Sign(election.Signer, election.Id, [new PartitionHead(0, Entries, builder.Root)], Entries, 0, DateTimeOffset.UtcNow);
            board.Put(CloseStatement.FileName, Encoding.UTF8.GetBytes(close));
        }
        string tally = Path.Combine(_dir.Path, "tally");
        Directory.CreateDirectory(tally);
        File.WriteAllText(Path.Combine(tally, TallyResult.FileName), "{}\n");
        return (election, data, tally);
    }

    [Fact]
    public async Task An_export_killed_mid_copy_resumes_and_ends_with_the_files_of_an_uninterrupted_one()
    {
        var (election, data, tally) = ClosedElection();
        string killed = Path.Combine(_dir.Path, "record-killed");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } d ? d : "dotnet";
        var psi = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "tvs.dll"), "record", "export", "--election", election.Directory, "--data", data, "--tally", tally, "--out", killed, "--threads", "1" })
        {
            psi.ArgumentList.Add(a);
        }
        using (var p = Process.Start(psi)!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            string tiles = Path.Combine(killed, "p0", "tile");
            bool midway = SpinWait.SpinUntil(() => p.HasExited || (Directory.Exists(tiles) && Directory.EnumerateFiles(tiles, "*", SearchOption.AllDirectories).Skip(300).Any()), TimeSpan.FromMinutes(2));
            Assert.True(midway && !p.HasExited, $"the export ended before it could be killed: {(p.HasExited ? await stdout + await stderr : "")}");
            p.Kill(); // SIGKILL
            p.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, ElectionRecord.ManifestFile)), "killed before its manifest");
        int before = Directory.EnumerateFiles(killed, "*", SearchOption.AllDirectories).Count();
        output.WriteLine($"killed with {before} files written");

        var said = new StringWriter();
        Assert.True(RecordCommands.Export(new StoreArguments(election.Directory) { Data = data }, tally, killed, said, said) == ExitCodes.Ok, said.ToString());
        output.WriteLine(said.ToString());
        Assert.Matches(@"[1-9]\d* already there", said.ToString());

        string fresh = Path.Combine(_dir.Path, "record-fresh");
        said = new StringWriter();
        Assert.True(RecordCommands.Export(new StoreArguments(election.Directory) { Data = data }, tally, fresh, said, said) == ExitCodes.Ok, said.ToString());
        var files = Directory.EnumerateFiles(fresh, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(fresh, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.EnumerateFiles(killed, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(killed, f)).Order(StringComparer.Ordinal).ToList());
        foreach (var f in files)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(fresh, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), f);
        }
        Assert.Equal(RecordLayout.BoardFiles(0, Entries).Count(), files.Count(f => f.StartsWith("p0/tile/", StringComparison.Ordinal)));

        // A target holding other bytes is not overwritten.
        File.WriteAllText(Path.Combine(fresh, ElectionRecord.ElectionFile), "{}");
        said = new StringWriter();
        Assert.Equal(ExitCodes.Unusable, RecordCommands.Export(new StoreArguments(election.Directory) { Data = data }, tally, fresh, said, said));
        Assert.Contains("exists with other content", said.ToString(), StringComparison.Ordinal);
    }
}
