"""Models-from-code source for the ``llama_index_code`` fixture: a query engine, mock index."""

import mlflow
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM

Settings.embed_model = MockEmbedding(embed_dim=4)
Settings.llm = MockLLM(max_tokens=4)
index = VectorStoreIndex.from_documents([Document(text="hello world", doc_id="d1")])
mlflow.models.set_model(index.as_query_engine())
