using Peerz.Model.Adapters;
using Peerz.Model.Blocks;
using Peerz.Model.Checkpoints;
using static TorchSharp.torch;

namespace Peerz.Model.Tests.Adapters;

/// <summary>
/// Independent checks of LoRA in a span, shared by the architectures: the base model with merged weights (PEFT's
/// merge_and_unload, written as a checkpoint) and central finite differences of the adapter's weights.
/// </summary>
internal static class LoraChecks
{
    /// <summary>
    /// The checkpoint at <paramref name="source"/> with each targeted W replaced by W + scaling·B·A, found by the base
    /// weight's name in the model's state dict (the PEFT tensor name without <c>base_model.model.</c> and <c>lora_A.</c>).
    /// </summary>
    public static void WriteMerged(string source, string target, LoraAdapter adapter)
    {
        File.Copy(Path.Combine(source, Checkpoint.ConfigFile), Path.Combine(target, Checkpoint.ConfigFile));
        using var file = SafetensorsFile.Open(Path.Combine(source, Checkpoint.SingleFile));
        using var scope = NewDisposeScope();
        static string BaseWeight(LoraWeight w) => PeftLoraFiles.TensorName(w.Block, w.Module, 'A').Replace("base_model.model.", "").Replace(".lora_A", "");
        var byName = adapter.Weights.ToDictionary(BaseWeight);
        var tensors = file.Tensors.Keys.Order().Select(name =>
        {
            var tensor = file.Load(name);
            if (!byName.TryGetValue(name, out var weight)) return (name, tensor);
            byName.Remove(name);
            var delta = weight.B.to_type(ScalarType.Float64).mm(weight.A.to_type(ScalarType.Float64)) * adapter.Scaling;
            return (name, (tensor.to_type(ScalarType.Float64) + delta).to_type(tensor.dtype));
        }).ToList();
        if (byName.Count > 0) throw new InvalidOperationException($"no base weight named {string.Join(", ", byName.Keys)}");
        SafetensorsWriter.Write(Path.Combine(target, Checkpoint.SingleFile), tensors);
    }

    /// <summary>
    /// The worst relative error between the adapter gradients two spans' backward passes give and central differences of
    /// loss = ⟨probe, second(first(hidden))⟩, over every 89th entry of every A and B; and how many entries it checked.
    /// Float64: eps = 1e-5 gives truncation eps²/6 · |f'''| ≈ 2e-11 · |f'''| and rounding ≈ k · 1e-16 · |loss| / eps ≈ k · 1e-11 · |loss|
    /// (eps = 1e-4 left BLOOM's tanh-GELU at 1.4e-6 relative: truncation, not a wrong gradient). The error is taken relative
    /// to |numeric|, floored at 1e-3 and at 1e-4 · |loss| so that the rounding term stays ≤ k · 1e-7 of it: Mixtral's
    /// loss of 30 put 1e-9 of rounding (k ≈ 3) on gradients of 9e-4, 1.05e-6 relative under the fixed 1e-3 floor.
    /// </summary>
    public static (double Worst, int Checked) GradientError(BlockSpan first, BlockSpan second, LoraAdapter firstAdapter, LoraAdapter secondAdapter, Tensor hidden, Tensor probe)
    {
        using var scope = NewDisposeScope();
        double Loss() => (second.Forward(first.Forward(hidden, null, firstAdapter), null, secondAdapter) * probe).sum().item<double>();

        var middle = first.Forward(hidden, null, firstAdapter);
        using var secondGradients = second.Backward(middle, null, probe, adapter: secondAdapter);
        using var firstGradients = first.Backward(hidden, null, secondGradients.Input, adapter: firstAdapter);

        double worst = 0;
        var checkedCount = 0;
        foreach (var (weights, gradients) in new[] { (firstAdapter, firstGradients.Adapter!), (secondAdapter, secondGradients.Adapter!) })
        {
            for (var w = 0; w < weights.Weights.Count; w++)
            {
                foreach (var (parameter, gradient) in new[] { (weights.Weights[w].A, gradients.Weights[w].A), (weights.Weights[w].B, gradients.Weights[w].B) })
                {
                    if (!parameter.shape.SequenceEqual(gradient.shape)) throw new InvalidOperationException("a gradient's shape is not its weight's");
                    var flat = parameter.view(-1);
                    var analytic = gradient.to_type(ScalarType.Float64).view(-1);
                    for (long i = 0; i < flat.shape[0]; i += 89)
                    {
                        const double eps = 1e-5;
                        var original = flat[i].item<double>();
                        flat[i] = original + eps;
                        var plus = Loss();
                        flat[i] = original - eps;
                        var minus = Loss();
                        flat[i] = original;
                        var numeric = (plus - minus) / (2 * eps);
                        worst = Math.Max(worst, Math.Abs(numeric - analytic[i].item<double>()) / Math.Max(Math.Max(1e-3, 1e-4 * Math.Abs(plus)), Math.Abs(numeric)));
                        checkedCount++;
                    }
                }
            }
        }
        return (worst, checkedCount);
    }
}
