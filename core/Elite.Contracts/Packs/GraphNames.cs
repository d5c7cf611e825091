namespace Elite.Contracts.Packs;

/// <summary>
/// The six graphs of a model pack and the names of their inputs and outputs (elite-spec.md §6.1):
/// the contract between the model builder, which writes them, and the runtime, which feeds them.
/// </summary>
public static class GraphNames
{
    public static IReadOnlyList<string> All { get; } = [ClipVision.Name, GlobalMapper.Name, LocalMapper.Name, TextEncoder.Name, UNet.Name, VaeDecoder.Name];

    public static class ClipVision
    {
        public const string Name = "clip_vision";
        public const string PixelValues = "pixel_values";
        public const string Feats = "feats";
    }

    public static class GlobalMapper
    {
        public const string Name = "global_mapper";
        public const string Feats = ClipVision.Feats;
        public const string Words = "words";
    }

    public static class LocalMapper
    {
        public const string Name = "local_mapper";
        public const string Feats = ClipVision.Feats;
        public const string Mask16 = "mask16";
        public const string LocalEmbeds = "local_embeds";
    }

    public static class TextEncoder
    {
        public const string Name = "text_encoder";
        public const string InputIds = "input_ids";
        public const string InjEmbedding = "inj_embedding";
        public const string InjIndex = "inj_index";
        public const string LastHiddenState = "last_hidden_state";
    }

    public static class UNet
    {
        public const string Name = "unet";
        public const string Sample = "sample";
        public const string Timestep = "timestep";
        public const string EncoderHiddenStates = "encoder_hidden_states";
        public const string LocalEmbeds = LocalMapper.LocalEmbeds;
        public const string LocalIndex = "local_index";
        public const string Lambda = "llambda";
        public const string NoisePred = "noise_pred";
    }

    public static class VaeDecoder
    {
        public const string Name = "vae_decoder";
        public const string Latent = "latent";
        public const string Image = "image";
    }
}
