namespace Peerz.Model.Tests;

public class SmokeTests
{
    [Fact]
    public void Torch_loads() => Assert.Equal(8f, TorchSmoke.Run());
}
