namespace Peerz.Model;

public static class TorchSmoke
{
    public static float Run()
    {
        using var a = TorchSharp.torch.ones(2, 2);
        using var b = a.matmul(a);
        return b.sum().item<float>();
    }
}
