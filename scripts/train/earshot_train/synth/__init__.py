"""earshot data synthesis: TTS rendering with every local voice, augmentation, real-audio pools
and voice-disjoint splits. Importable by other recipes (the ASR recipe may reuse render/augment)."""
