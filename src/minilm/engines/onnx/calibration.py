"""Calibration texts for the int8 graph's activation smoothing, written for this package (no data set needed).

Smoothing needs the peak magnitude of each input channel of each quantized MatMul; these peaks come from a
handful of channels that light up for almost any English text, so a small, varied set is enough
(docs/int8.md compares it with calibration on 1,024 STS-B train sentences).
"""

from __future__ import annotations

import numpy as np

from minilm import batching
from minilm.tokenizer import Tokenizer

TEXTS = [
    "A man is playing a guitar on the street corner.",
    "The children are building a sandcastle at the beach.",
    "Two dogs run across a snowy field.",
    "A woman slices an onion in the kitchen.",
    "The stock market fell sharply after the announcement on Tuesday.",
    "Scientists found that the protein regulates cell growth in mice.",
    "How do I reset my password if I forgot my email address?",
    "The train to Berlin leaves at 7:45 from platform 3.",
    "She didn't think the movie was worth the price of the ticket.",
    "Heavy rain caused flooding in several towns along the river.",
    "The committee will vote on the proposal next week.",
    "I love this phone, but the battery dies too quickly!",
    "Patients receiving the drug showed a 35% reduction in symptoms compared with placebo.",
    "A cat is sleeping on a red sofa.",
    "The company reported quarterly revenue of $4.2 billion, up 12% from last year.",
    "What is the capital city of Australia?",
    "The new bridge was opened to traffic in 2019 after four years of construction.",
    "He plays football every Saturday with his friends from school.",
    "Mutations in this gene are associated with an increased risk of breast cancer.",
    "The recipe calls for two cups of flour, one egg and a pinch of salt.",
    "Police arrested three people in connection with the robbery.",
    "Our results suggest that early treatment improves long-term outcomes in children with asthma.",
    "The museum is closed on Mondays and public holidays.",
    "A group of people are dancing at a wedding party.",
    "Can you recommend a good book about the history of Rome?",
    "The team won the championship for the third time in a row.",
    "Global temperatures have risen by about 1.1 degrees Celsius since pre-industrial times.",
    "The software update fixes a bug that caused the app to crash on startup.",
    "A young boy is riding a bicycle down a hill.",
    "The minister resigned amid allegations of corruption.",
    "In this study, we measured the expression of 2,000 genes in tumour samples from 150 patients.",
    "Thanks for your help yesterday, I really appreciate it.",
    "The airline cancelled dozens of flights because of the storm.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "An old man is feeding pigeons in the park.",
    "Prices for fresh vegetables rose again this month.",
    "The hotel room was clean, quiet and close to the station.",
    "Researchers used a randomized controlled trial to test the vaccine's efficacy in adults over 65.",
    "Is it safe to drink tap water in this city?",
    "The orchestra performed Beethoven's ninth symphony to a full house.",
    "Café owners in Zürich say tourism has recovered — mostly.",
    "A woman is reading a newspaper while waiting for the bus.",
    "The court ruled that the law was unconstitutional.",
    "Deep learning models require large amounts of labelled training data.",
    "My flight was delayed by three hours and I missed the connection.",
    "The river flows through the valley into the sea.",
    "Elevated levels of inflammatory markers were observed in the treated group (p < 0.01).",
    "Two men are fixing the roof of a house.",
]


def batches(tokenizer: Tokenizer, batch_size: int = 16) -> list[tuple[np.ndarray, np.ndarray]]:
    """The calibration texts as padded (ids (B, T), lengths (B,)) batches."""
    units = tokenizer(TEXTS)
    plan = batching.plan([len(u) for u in units], batch_size, 1 << 20)
    return [batching.pad([units[i] for i in rows], tokenizer.pad_id) for rows in plan]
