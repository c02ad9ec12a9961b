using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using TVS.Crypto.Threshold;
using TVS.Engine.Tally;
using TVS.LoadGen;
using TVS.Merkle;
using TVS.Storage.Local;

namespace TVS.Cli;

/// <summary>
/// After voting (docs/election-guide.md, "Close, tally, publish, verify"): <c>tvs election
/// close</c> (operator), <c>tvs trustee decrypt</c> (each trustee), <c>tvs tally</c> (anyone with
/// t trustees' shares). Exit codes as <see cref="EngineCommands"/>: 0 done, 1 refused (a check
/// failed), 2 unusable input.
/// </summary>
public static class ElectionCommands
{
    /// <summary>Where <c>tvs tally</c> leaves the result and the shares it combined, inside the data directory.</summary>
    public const string TallyDirectory = "tally";

    public static Command Build()
    {
        var election = new Command("election", "The election lifecycle after voting");
        var close = new Command("close", "Close the election: the engine must be stopped; verifies the data against the final signed checkpoint, signs the close statement, marks the data directory closed");
        var e = new Option<DirectoryInfo>("--election") { Description = "election directory", Required = true };
        var d = new Option<DirectoryInfo>("--data") { Description = "the engine's data directory", Required = true };
        var b = new Option<DirectoryInfo?>("--board") { Description = "with witnesses in election.json: the board directory whose cosigned checkpoints must be the final ones at quorum (default: DATA/board)" };
        close.Options.Add(e);
        close.Options.Add(d);
        close.Options.Add(b);
        close.SetAction(r => Close(r.GetValue(e)!.FullName, r.GetValue(d)!.FullName, Console.Out, Console.Error, r.GetValue(b)?.FullName));
        election.Subcommands.Add(close);
        return election;
    }

    /// <summary>The <c>decrypt</c> verb, added under <c>tvs trustee</c>.</summary>
    public static Command BuildDecrypt()
    {
        var cmd = new Command("decrypt", "Compute my decryption shares (with DLEQ proofs) for every accepted ballot of the closed election; resumable");
        var e = new Option<DirectoryInfo>("--election") { Description = "election directory (election.json, election-key.json)", Required = true };
        var d = new Option<DirectoryInfo>("--data") { Description = "the closed data directory", Required = true };
        var share = new Option<FileInfo>("--share") { Description = "my share key file (share.key, from finalize)", Required = true };
        var pass = new Option<FileInfo?>("--passphrase-file") { Description = $"file holding the passphrase (else ${TrusteeCommands.PassphraseVariable})" };
        var keyUri = new Option<string?>(TrusteeCommands.KeyUriOption) { Description = "PKCS#11 URI of the token AES key that wrapped share.key" };
        var output = new Option<DirectoryInfo>("--out") { Description = "where to write the shares (a trustee-NN folder is made inside)", Required = true };
        var chunk = new Option<int>("--chunk") { Description = "ballots per shares file", DefaultValueFactory = _ => TrusteeDecryptor.DefaultChunkBallots };
        foreach (var o in new Option[] { e, d, share, pass, keyUri, output, chunk })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r =>
        {
            TrusteeKeys pw;
            IDisposable? token;
            try
            {
                pw = TrusteeCommands.OpenKeys(r.GetValue(pass), r.GetValue(keyUri), out token);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or FormatException)
            {
                Console.Error.WriteLine($"tvs trustee decrypt: {ex.Message}");
                return ExitCodes.Unusable;
            }
            try
            {
                return Decrypt(r.GetValue(e)!.FullName, r.GetValue(d)!.FullName, r.GetValue(share)!.FullName, pw, r.GetValue(output)!.FullName, Math.Max(1, r.GetValue(chunk)), int.MaxValue, Console.Out, Console.Error);
            }
            finally
            {
                pw.Clear();
                token?.Dispose();
            }
        });
        return cmd;
    }

    public static Command BuildTally()
    {
        var cmd = new Command("tally", "Combine t trustees' decryption shares (every DLEQ proof verified first, or with --proofs on-failure only where a ballot's tag fails), decrypt and count");
        var e = new Option<DirectoryInfo?>("--election") { Description = "election directory (with --data)" };
        var d = new Option<DirectoryInfo?>("--data") { Description = "the closed data directory" };
        var record = new Option<DirectoryInfo?>("--record") { Description = "or: an election record (its votes, election.json, election-key.json, contests.json)" };
        var shares = new Option<DirectoryInfo[]>("--shares") { Description = "directories holding the trustees' shares files (searched recursively)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo?>("--out") { Description = $"where to write result.json and the shares used (default: DATA/{TallyDirectory})" };
        var json = new Option<bool>("--json") { Description = "print result.json" };
        var proofs = new Option<string>("--proofs")
        {
            Description = "all: verify every share's DLEQ proof before decrypting; on-failure: combine first and verify the proofs of a ballot only when its tag fails "
                + "(a wrong share is still caught; a bad proof beside a right share is left to tvs verify). docs/election-guide.md, \"Tally\"",
            DefaultValueFactory = _ => "all",
        };
        proofs.AcceptOnlyFromAmong("all", "on-failure");
        foreach (var o in new Option[] { e, d, record, shares, output, json, proofs })
        {
            cmd.Options.Add(o);
        }
        cmd.SetAction(r => Tally(r.GetValue(e)?.FullName, r.GetValue(d)?.FullName, r.GetValue(record)?.FullName,
            r.GetValue(shares)!.Select(s => s.FullName).ToArray(), r.GetValue(output)?.FullName, r.GetValue(json), Console.Out, Console.Error,
            r.GetValue(proofs) == "on-failure" ? TallyProofs.OnFailure : TallyProofs.All));
        return cmd;
    }

    /// <param name="board">
    /// With witnesses in election.json: the board directory (default <c>DATA/board</c>). Each
    /// partition's board checkpoint must be its final signed checkpoint (same body) carrying the
    /// witness quorum, or nothing is closed; the cosigned notes then replace the final checkpoint
    /// files of the data directory (same body, more signature lines), so the record carries them.
    /// </param>
    public static int Close(string election, string data, TextWriter output, TextWriter error, string? board = null)
    {
        string statement = Path.Combine(data, CloseStatement.FileName);
        if (File.Exists(statement))
        {
            error.WriteLine($"tvs election close: {data} is already closed ({CloseStatement.FileName})");
            return ExitCodes.Invalid;
        }
        using var setup = LoadElection(election, error);
        if (setup is null)
        {
            return ExitCodes.Unusable;
        }
        int partitions = setup.Partitions;
        // A partition directory the election does not name holds votes nobody would count: refuse
        // rather than close without them (a wrong "partitions" in election.json, or a stray engine).
        var stray = Directory.Exists(data)
            ? Directory.EnumerateDirectories(data, "p*").Select(Path.GetFileName)
                .Where(n => n!.Length > 1 && n[1..].All(char.IsAsciiDigit) && (n.Length > 6 || int.Parse(n[1..], System.Globalization.CultureInfo.InvariantCulture) >= partitions)).Order(StringComparer.Ordinal).ToList()
            : [];
        if (stray.Count > 0)
        {
            error.WriteLine($"tvs election close: {data} holds {string.Join(", ", stray)}, which election.json does not name (partitions {partitions}): not closed");
            return ExitCodes.Invalid;
        }
        var heads = new List<PartitionHead>();
        var witnessed = new List<(string Directory, long Size, string Note)>();
        string boardDir = board ?? Path.Combine(data, "board");
        long accepted = 0, rejected = 0;
        for (int k = 0; k < partitions; k++)
        {
            string votesFile = Path.Combine(LocalPartition.VotesDirectory(data, k), LocalVoteStore.VotesFile);
            string progressFile = Path.Combine(LocalPartition.VotesDirectory(data, k), LocalVoteStore.ProgressFile);
            string latest = Path.Combine(LocalPartition.CheckpointDirectory(data, k), LocalCheckpointSink.LatestFile);
            if (!File.Exists(votesFile) || !File.Exists(progressFile) || !File.Exists(latest))
            {
                error.WriteLine($"tvs election close: {data}: no votes, progress or signed checkpoint of partition {k} (of {partitions}): run its engine to a clean stop first");
                return ExitCodes.Unusable;
            }
            // A running engine holds votes.log open; an exclusive open fails then (advisory lock on Unix).
            try
            {
                using var probe = new FileStream(votesFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                error.WriteLine($"tvs election close: the engine of partition {k} is still running on {data} ({votesFile} is in use): stop it first (Ctrl-C / SIGTERM signs the final checkpoint)");
                return ExitCodes.Invalid;
            }
            var progress = JsonNode.Parse(File.ReadAllText(progressFile))!;
            long size = (long)progress["mmrSize"]!;
            accepted += (long)progress["accepted"]!;
            rejected += (long)progress["rejected"]!;
            output.WriteLine($"verifying partition {k} of {data} against its final checkpoint:");
            int check = EngineCommands.VerifyCheckpoint(new FileInfo(latest), null, new DirectoryInfo(election), new DirectoryInfo(data), k, false, output, error);
            if (check != ExitCodes.Ok)
            {
                error.WriteLine($"tvs election close: partition {k} does not match its final signed checkpoint: not closed");
                return ExitCodes.Invalid;
            }
            var final = Checkpoint.Open(File.ReadAllText(latest), setup.Signer.Verifier, setup.Origin(k));
            if (final.Size != size)
            {
                error.WriteLine($"tvs election close: partition {k}: the last signed checkpoint covers {final.Size} votes, {size} are committed: run its engine to a clean stop (its last sync signs the final checkpoint)");
                return ExitCodes.Invalid;
            }
            heads.Add(new PartitionHead(k, final.Size, final.Root));
            if (setup.Witnesses is { } policy)
            {
                // The final heads are what the close binds: with witnesses they must be witnessed.
                string published = Path.Combine(boardDir, $"p{k}", "checkpoint");
                if (!File.Exists(published))
                {
                    error.WriteLine($"tvs election close: the election lists witnesses, and the board holds no checkpoint of partition {k} ({published}): publish the board (give --board DIR if it is elsewhere): not closed");
                    return ExitCodes.Invalid;
                }
                string cosigned = File.ReadAllText(published);
                try
                {
                    Checkpoint.Open(cosigned, setup.Signer.Verifier, setup.Origin(k));
                    if (SignedNote.Parse(cosigned).Text != SignedNote.Parse(File.ReadAllText(latest)).Text)
                    {
                        error.WriteLine($"tvs election close: the board's checkpoint of partition {k} ({published}) is not the final one (size {final.Size}): let the publisher catch up (tvs board publish) first: not closed");
                        return ExitCodes.Invalid;
                    }
                }
                catch (Exception ex) when (ex is NoteException or FormatException)
                {
                    error.WriteLine($"tvs election close: {published}: not a checkpoint of partition {k} signed by the election's key: {ex.Message}: not closed");
                    return ExitCodes.Invalid;
                }
                var witnessCheck = policy.Check(cosigned);
                if (!witnessCheck.Met)
                {
                    error.WriteLine($"tvs election close: partition {k}'s final checkpoint on the board is not witnessed ({witnessCheck}): the publisher re-submits it until the witnesses answer; not closed");
                    return ExitCodes.Invalid;
                }
                witnessed.Add((LocalPartition.CheckpointDirectory(data, k), final.Size, cosigned));
                output.WriteLine($"partition {k}: final checkpoint cosigned by {string.Join(", ", witnessCheck.Cosigners.Select(c => c.Witness.Name))} (quorum {policy.Quorum})");
            }
        }
        foreach (var (dir, finalSize, cosignedNote) in witnessed)
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(cosignedNote);
            TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, $"{finalSize:D12}.note"), bytes);
            TVS.Engine.IO.AtomicFile.Write(Path.Combine(dir, LocalCheckpointSink.LatestFile), bytes);
        }
        string note = CloseStatement.Sign(setup.Signer, setup.Id, heads, accepted, rejected, DateTimeOffset.UtcNow);
        TVS.Engine.IO.AtomicFile.Create(statement, System.Text.Encoding.UTF8.GetBytes(note));
        output.WriteLine($"closed: {partitions} partition(s), {heads.Sum(h => h.Size)} accepted votes, {rejected} rejected records; final heads {string.Join(", ", heads.Select(h => $"p{h.Partition} {h.Size} {h.Root.ToBase64()}"))}");
        output.Write(note);
        return ExitCodes.Ok;
    }

    private static ElectionSetup? LoadElection(string election, TextWriter error)
    {
        try
        {
            var setup = ElectionSetup.Load(election, allowInsecure: true);
            if (setup.Insecure != null)
            {
                error.WriteLine($"WARNING: insecure election ({setup.Insecure})");
            }
            return setup;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException)
        {
            error.WriteLine($"election {election}: {e.Message}");
            return null;
        }
    }

    /// <summary>The public side of an election directory (or record): id, checkpoint key and partition count from election.json.</summary>
    public static (Guid Id, NoteVerifier Key, int Partitions) ReadPublicElection(string directory)
    {
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ElectionSetup.ManifestFile)))!;
        return (Guid.Parse((string)m["electionId"]!), NoteVerifier.Parse((string)m["checkpointVerifierKey"]!), ElectionRecord.ReadPartitions(m));
    }

    /// <summary>The election's checkpoint witnesses (election.json <c>witnesses</c>/<c>witnessQuorum</c>), null when it lists none; <see cref="InvalidDataException"/> when malformed.</summary>
    public static TVS.Engine.Election.WitnessPolicy? ReadWitnessPolicy(string directory)
        => TVS.Engine.Election.WitnessPolicy.FromManifest(JsonNode.Parse(File.ReadAllText(Path.Combine(directory, ElectionSetup.ManifestFile)))!);

    /// <summary>
    /// The accepted votes of a closed data directory, one list per partition (0..P-1), each checked
    /// against its head in the signed close statement (signature, size, root recomputed from the
    /// records): what trustees decrypt and the record publishes.
    /// </summary>
    public static List<List<AcceptedVote>> ReadClosedVotes(string election, string data, out ClosedElection close)
    {
        var (id, key, partitions) = ReadPublicElection(election);
        string statement = Path.Combine(data, CloseStatement.FileName);
        if (!File.Exists(statement))
        {
            throw new InvalidOperationException($"{data} is not closed (no {CloseStatement.FileName}): run tvs election close first");
        }
        close = CloseStatement.Open(File.ReadAllText(statement), key, id);
        if (close.Partitions != partitions)
        {
            throw new InvalidDataException($"{data}: the close statement covers {close.Partitions} partition(s), election.json names {partitions}");
        }
        var all = new List<List<AcceptedVote>>();
        foreach (var head in close.Heads)
        {
            long size = head.Size;
            var votes = LocalVoteStore.ReadAll(LocalPartition.VotesDirectory(data, head.Partition)).Where(v => v.MmrIndex < size)
                .Select(v => new AcceptedVote(v.MmrIndex, v.Offset, v.Record)).ToList();
            if (votes.Count != size || Rfc9162.MerkleTreeHash(votes.Select(v => Rfc9162.HashLeaf(v.Record)).ToArray()) != head.Root)
            {
                throw new InvalidDataException($"{data}: partition {head.Partition}'s accepted votes do not match the signed close statement (size {size}, root {head.Root.ToBase64()})");
            }
            all.Add(votes);
        }
        return all;
    }

    /// <summary>
    /// The election's ballot order (docs/formats.md, "Decryption shares file"): partition 0's
    /// votes in MMR index order, then partition 1's, and so on. Ballot i of the shares files and
    /// of the result is the i-th vote of this list.
    /// </summary>
    public static List<AcceptedVote> BallotOrder(IEnumerable<List<AcceptedVote>> partitions) => partitions.SelectMany(p => p).ToList();

    public static DkgResult ReadElectionKey(string directory) =>
        CeremonyFiles.ReadResult(Path.Combine(directory, ElectionRecord.ElectionKeyFile));

    public static int Decrypt(string election, string data, string shareFile, TrusteeKeys passphrase, string outDir, int chunk, int maxChunks, TextWriter output, TextWriter error)
    {
        try
        {
            var (id, _, _) = ReadPublicElection(election);
            var dkg = ReadElectionKey(election);
            var votes = BallotOrder(ReadClosedVotes(election, data, out var close));
            var (index, share) = passphrase.OpenShare(File.ReadAllBytes(shareFile), id);
            var ballots = votes.Select(v => v.Ballot.ToArray()).ToList();
            string dir = Path.Combine(outDir, ShareChunk.TrusteeDirectory(index));
            var outcome = TrusteeDecryptor.Run(id, index, share, dkg.VerificationKey(index), ballots, dir, chunk, maxChunks, error);
            share.Clear();
            output.WriteLine($"trustee {index}: {outcome.Ballots:N0} ballots of {close.Partitions} partition(s) (close root {close.Checkpoint.Root.ToBase64()}): {outcome.ChunksWritten} shares file(s) written, {outcome.ChunksSkipped} already present and intact, {outcome.WithoutShare} ballot(s) without R → {dir}");
            return ExitCodes.Ok;
        }
        catch (WrongPassphraseException e)
        {
            error.WriteLine($"tvs trustee decrypt: {shareFile}: {e.Message}");
            return ExitCodes.Unusable;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException or CryptographicException or NoteException)
        {
            error.WriteLine($"tvs trustee decrypt: {e.Message}");
            return e is InvalidOperationException ? ExitCodes.Invalid : ExitCodes.Unusable;
        }
    }

    public static int Tally(string? election, string? data, string? record, string[] shareDirs, string? outDir, bool json, TextWriter output, TextWriter error, TallyProofs proofs = TallyProofs.All)
    {
        try
        {
            string publicDir;
            List<AcceptedVote> votes;
            if (record != null)
            {
                publicDir = record;
                int partitions = ReadPublicElection(record).Partitions;
                votes = BallotOrder(Enumerable.Range(0, partitions).Select(k => AcceptedVoteFile.Read(Path.Combine(record, ElectionRecord.VotesFile(k)))));
                if (outDir is null)
                {
                    error.WriteLine("tvs tally: with --record, give --out");
                    return ExitCodes.Unusable;
                }
            }
            else if (election != null && data != null)
            {
                publicDir = election;
                votes = BallotOrder(ReadClosedVotes(election, data, out _));
                outDir ??= Path.Combine(data, TallyDirectory);
            }
            else
            {
                error.WriteLine("tvs tally: give --election and --data, or --record");
                return ExitCodes.Unusable;
            }
            var (id, _, _) = ReadPublicElection(publicDir);
            var dkg = ReadElectionKey(publicDir);
            var contests = ContestList.Load(Path.Combine(publicDir, ContestList.FileName));
            var ballots = votes.Select(v => v.Ballot.ToArray()).ToList();
            var ephemerals = Tallier.Ephemerals(ballots);
            var shares = Tallier.LoadShares(shareDirs, id, ballots, ephemerals);
            var result = Tallier.Run(id, dkg, contests, ballots, shares, proofs);

            // Keep what was combined next to the result: the record publishes exactly these shares.
            Directory.CreateDirectory(outDir);
            string sharesOut = Path.Combine(outDir, ElectionRecord.SharesDirectory);
            if (Directory.Exists(sharesOut))
            {
                Directory.Delete(sharesOut, recursive: true);
            }
            foreach (var s in shares.Values)
            {
                string dir = Path.Combine(sharesOut, ShareChunk.TrusteeDirectory(s.Trustee));
                Directory.CreateDirectory(dir);
                foreach (var (first, _, path) in s.Files)
                {
                    File.Copy(path, Path.Combine(dir, ShareChunk.FileName(first)));
                }
            }
            result.Write(Path.Combine(outDir, TallyResult.FileName));
            if (json)
            {
                output.WriteLine(result.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                PrintResult(result, output);
            }
            return ExitCodes.Ok;
        }
        catch (TallyException e)
        {
            error.WriteLine($"tvs tally: {e.Message}");
            return ExitCodes.Invalid;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or FormatException or JsonException or NoteException)
        {
            error.WriteLine($"tvs tally: {e.Message}");
            return ExitCodes.Unusable;
        }
    }

    public static void PrintResult(TallyResult result, TextWriter output)
    {
        output.WriteLine($"election {result.ElectionId}: {result.Ballots:N0} ballots, shares of trustees {string.Join(", ", result.Trustees)} (t = {result.Threshold})");
        for (int k = 0; k < result.Contests.Count; k++)
        {
            var c = result.Contests.Contests[k];
            output.WriteLine($"  {c.Name}");
            for (int j = 0; j < c.Candidates.Count; j++)
            {
                output.WriteLine($"    {c.Candidates[j],-20} {result.Counts[k][j],12:N0}");
            }
        }
        output.WriteLine($"  spoiled: {result.Spoiled.Count:N0}{(result.Spoiled.Count > 0 ? " (" + string.Join(", ", result.SpoiledByReason().Select(kv => $"{kv.Key} {kv.Value}")) + ")" : "")}");
    }
}
