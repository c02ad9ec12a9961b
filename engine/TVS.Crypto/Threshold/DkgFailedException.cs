namespace TVS.Crypto.Threshold;

public sealed class DkgFailedException(string message) : Exception(message);
