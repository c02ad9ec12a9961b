using BenchmarkDotNet.Running;

namespace TVS.Bench;

public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--thread-cpu-time", var samples, .. var kernels])
            Bn254.ThreadCpuTimeRun.Run(int.Parse(samples, System.Globalization.CultureInfo.InvariantCulture), kernels);
        else if (args is ["--thread-cpu-time-groth16", var groth16Samples])
            Groth16.Groth16ThreadCpuTimeRun.Run(int.Parse(groth16Samples, System.Globalization.CultureInfo.InvariantCulture));
        else if (args is ["--thread-cpu-time-dleq", var dleqSamples])
            DleqThreadCpuTimeRun.Run(int.Parse(dleqSamples, System.Globalization.CultureInfo.InvariantCulture));
        else
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
