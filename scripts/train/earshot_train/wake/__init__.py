"""Wake-word model: DS-CNN, training with QAT, ONNX export, hard negatives, verifier, model card."""
