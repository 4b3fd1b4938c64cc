"""minilm inside the frameworks people already use: LangChain, LlamaIndex and Chroma.

Each adapter is a module of its own that imports its framework on import (and, when the framework is missing,
says which extra installs it):

    from minilm.integrations.langchain import MiniLMEmbeddings          # pip install '.[langchain]'
    from minilm.integrations.llamaindex import MiniLMEmbedding          # pip install '.[llamaindex]'
    from minilm.integrations.chroma import MiniLMEmbeddingFunction      # pip install '.[chroma]'

All three share one loaded model per (model, engine, threads): see `encoders.shared_encoder`.
"""
