using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using TVS.Crypto.Bn254;
using TVS.Crypto.Groth16;

namespace TVS.Cli;

/// <summary>
/// <c>tvs demo</c>: runs what TVS has built so far on embedded defaults, with nothing to set up.
/// Today that is the verifier: mint Semaphore-shaped proofs from a simulated (insecure, test-only)
/// setup, tamper with some, verify them one by one and in batches, and check that exactly the
/// tampered ones are refused.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var demo = new Command("demo", "Run the main job on embedded defaults (no services needed)");
        var voters = new Option<int>("--voters") { Description = "number of proofs to mint and verify", DefaultValueFactory = _ => 512 };
        var badPercent = new Option<int>("--bad-percent") { Description = "share of tampered proofs (batches holding one are bisected, so many make batching slower than single checks)", DefaultValueFactory = _ => 1 };
        demo.Options.Add(voters);
        demo.Options.Add(badPercent);
        demo.SetAction(r => Run(Math.Max(1, r.GetValue(voters)), Math.Clamp(r.GetValue(badPercent), 0, 100)));
        return demo;
    }

    public static int Run(int count, int badPercent)
    {
        AnsiConsole.MarkupLine("[bold]TVS demo[/]: Groth16 verification of Semaphore-shaped proofs (4 public signals)");
        AnsiConsole.MarkupLine("[yellow]The proofs come from a simulated setup whose trapdoor is known: insecure, for demos and load tests only.[/]");
        var setup = new SimulatedSetup(4);
        var items = new BatchItem[count];
        var tampered = new bool[count];
        var rng = new Random();
        AnsiConsole.Progress().Start(ctx =>
        {
            var task = ctx.AddTask("minting proofs", maxValue: count);
            for (int i = 0; i < count; i++)
            {
                var pub = new Fr[4];
                for (int j = 0; j < 4; j++) pub[j] = SimulatedSetup.RandomNonZero();
                var proof = setup.Prove(pub);
                if (rng.Next(100) < badPercent)
                {
                    tampered[i] = true;
                    var wrong = (Fr[])pub.Clone();
                    wrong[1] += Fr.One; // the nullifier no longer matches the proof
                    pub = wrong;
                }
                items[i] = new BatchItem(setup.Key, proof, pub);
                task.Increment(1);
            }
        });

        var single = new VerifyError[count];
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) single[i] = Groth16Verifier.Verify(setup.Key, items[i].Proof, items[i].Public.Span);
        double singleRate = count / sw.Elapsed.TotalSeconds;

        var batched = new VerifyError[count];
        var verifier = new Groth16BatchVerifier(256);
        sw.Restart();
        for (int start = 0; start < count; start += 256)
        {
            int n = Math.Min(256, count - start);
            verifier.Verify(items.AsSpan(start, n), batched.AsSpan(start, n));
        }
        double batchRate = count / sw.Elapsed.TotalSeconds;

        int expectedBad = tampered.Count(t => t);
        int agree = 0;
        for (int i = 0; i < count; i++)
            if ((single[i] == VerifyError.None) == !tampered[i] && batched[i] == single[i]) agree++;

        var table = new Table().AddColumns("", "single", "batch (256)");
        table.AddRow("proofs", count.ToString(), count.ToString());
        table.AddRow("accepted", single.Count(e => e == VerifyError.None).ToString(), batched.Count(e => e == VerifyError.None).ToString());
        table.AddRow("rejected: bad_proof", single.Count(e => e == VerifyError.PairingCheckFailed).ToString(), batched.Count(e => e == VerifyError.PairingCheckFailed).ToString());
        table.AddRow("proofs/s (one core)", $"{singleRate:F0}", $"{batchRate:F0}");
        AnsiConsole.Write(table);
        bool ok = agree == count;
        AnsiConsole.MarkupLine(ok
            ? $"[green]OK[/]: exactly the {expectedBad} tampered proofs were rejected, by both verifiers."
            : $"[red]MISMATCH[/]: {count - agree} verdicts disagree with what was minted.");
        return ok ? 0 : 1;
    }
}
