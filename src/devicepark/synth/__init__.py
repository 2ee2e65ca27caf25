"""A realistic synthetic French operator (Orange and Sosh lines, handsets, network sightings) that
writes the input contract and its own ground truth: ``generate(out_dir, lines=..., seed=...)``.
"""

from devicepark.synth.generate import SynthResult, generate, truth_days

__all__ = ["SynthResult", "generate", "truth_days"]
