"""Built-in MLflow flavor cases for tests/generate_fixtures.py (issue 13 item 1).

Each case builds a tiny, seeded model with the flavor's own library and hands it to MLflow's
``save_model``/``log_model`` through the generator's ``Gen`` helper. Nothing is downloaded:
transformer models are built from a config and a vocabulary file written here, spaCy uses a
blank pipeline, LLM-ish flavors use models-from-code or a saved config. Libraries are imported
inside the builders, so a venv without one records the case as skipped (``needs``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GEN = Path(__file__).resolve().parent

# Never reach a model hub: everything below is built from local files.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# transformers 4.x would import TensorFlow (Keras 3 is installed for the keras cases) and fail.
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_TORCH", "1")


def _iris() -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import load_iris

    data = load_iris()
    cols = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    return pd.DataFrame(data.data, columns=cols), data.target


def _sig(x: Any, y: Any) -> Any:
    from mlflow.models import infer_signature

    return infer_signature(x, y)


# --- gradient boosting, statsmodels ---------------------------------------------------------


def _xgb() -> Any:
    import xgboost as xgb

    x, y = _iris()
    return xgb.XGBClassifier(n_estimators=2, max_depth=2, random_state=0, n_jobs=1).fit(x, y)


def xgboost_plain(g: Any, d: Path) -> None:
    import mlflow.xgboost

    g.save(mlflow.xgboost, d, xgb_model=_xgb())


def xgboost_sig_example(g: Any, d: Path) -> None:
    import mlflow.xgboost

    x, _ = _iris()
    m = _xgb()
    g.log(mlflow.xgboost, d, xgb_model=m, signature=_sig(x, m.predict(x)),
          input_example=x.head(3))


def lightgbm_booster_plain(g: Any, d: Path) -> None:
    import lightgbm as lgb
    import mlflow.lightgbm

    x, y = _iris()
    params = {"objective": "multiclass", "num_class": 3, "num_leaves": 4, "verbose": -1,
              "seed": 0, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(x, y), num_boost_round=2)
    g.save(mlflow.lightgbm, d, lgb_model=booster)


def lightgbm_sklearn_sig_example(g: Any, d: Path) -> None:
    import lightgbm as lgb
    import mlflow.lightgbm

    x, y = _iris()
    m = lgb.LGBMClassifier(n_estimators=2, num_leaves=4, random_state=0, n_jobs=1,
                           verbose=-1).fit(x, y)
    g.log(mlflow.lightgbm, d, lgb_model=m, signature=_sig(x, m.predict(x)),
          input_example=x.head(3))


def _catboost() -> Any:
    import catboost

    x, y = _iris()
    return catboost.CatBoostClassifier(iterations=2, depth=2, random_seed=0, verbose=False,
                                       thread_count=1, allow_writing_files=False).fit(x, y)


def catboost_plain(g: Any, d: Path) -> None:
    import mlflow.catboost

    g.save(mlflow.catboost, d, cb_model=_catboost())


def catboost_sig_example(g: Any, d: Path) -> None:
    import mlflow.catboost

    x, _ = _iris()
    m = _catboost()
    g.log(mlflow.catboost, d, cb_model=m, signature=_sig(x, m.predict(x)),
          input_example=x.head(3))


def _ols() -> tuple[Any, pd.DataFrame]:
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    x = pd.DataFrame({"const": 1.0, "x": rng.random(20)})
    y = 2 * x["x"] + rng.normal(0, 0.1, 20)
    return sm.OLS(y, x).fit(), x


def statsmodels_plain(g: Any, d: Path) -> None:
    import mlflow.statsmodels

    res, _ = _ols()
    g.save(mlflow.statsmodels, d, statsmodels_model=res, remove_data=True)


def statsmodels_sig_example(g: Any, d: Path) -> None:
    import mlflow.statsmodels

    res, x = _ols()
    g.log(mlflow.statsmodels, d, statsmodels_model=res, remove_data=True,
          signature=_sig(x, res.predict(x)), input_example=x.head(3))


# --- deep learning --------------------------------------------------------------------------


def _torch_net() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))


def pytorch_plain(g: Any, d: Path) -> None:
    import inspect

    import mlflow.pytorch

    # MLflow 3.x defaults to serialization_format="pt2", which refuses to save without an
    # input example; "pickle" is the format 2.x writes (and 3.x still offers).
    kw = ({"serialization_format": "pickle"}
          if "serialization_format" in inspect.signature(mlflow.pytorch.save_model).parameters
          else {})
    g.save(mlflow.pytorch, d, pytorch_model=_torch_net(), **kw)


def pytorch_sig_example(g: Any, d: Path) -> None:
    import mlflow.pytorch
    import torch

    net = _torch_net()
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    with torch.no_grad():
        y = net(torch.from_numpy(x)).numpy()
    g.log(mlflow.pytorch, d, pytorch_model=net, signature=_sig(x, y), input_example=x)


def _keras_net() -> Any:
    import keras

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    net.compile(loss="sparse_categorical_crossentropy")
    return net


def tensorflow_keras_plain(g: Any, d: Path) -> None:
    import mlflow.tensorflow

    g.save(mlflow.tensorflow, d, model=_keras_net())


def tensorflow_keras_sig_example(g: Any, d: Path) -> None:
    import mlflow.tensorflow

    net = _keras_net()
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    g.log(mlflow.tensorflow, d, model=net, signature=_sig(x, net.predict(x, verbose=0)),
          input_example=x)


def tensorflow_module_plain(g: Any, d: Path) -> None:
    import mlflow.tensorflow
    import tensorflow as tf

    class Double(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32)])
        def __call__(self, x: Any) -> Any:
            return x * 2.0

    g.save(mlflow.tensorflow, d, model=Double())


def keras3_sig_example(g: Any, d: Path) -> None:
    import mlflow.keras

    net = _keras_net()
    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    # MLflow 2.x's mlflow.keras.save_model writes input_example.json before it creates the
    # model directory (FileNotFoundError); an empty directory is accepted as a target.
    d.mkdir(parents=True, exist_ok=True)
    g.save(mlflow.keras, d, model=net, signature=_sig(x, net.predict(x, verbose=0)),
           input_example=x)


VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "a", "is", "movie", "film",
         "good", "bad", "great", "awful", "hello", "world", "i", "it", "was", "not", "very",
         ".", ",", "!", "?"]


def _tiny_bert(tmp: Path, head: bool) -> tuple[Any, Any]:
    """A 2-layer, 32-wide BERT with a tokenizer from a vocabulary file written here."""
    import torch
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertModel,
        BertTokenizerFast,
    )

    vocab = tmp / "vocab.txt"
    vocab.write_text("\n".join(VOCAB) + "\n")
    tok = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True, model_max_length=32)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=37, max_position_embeddings=32,
                     num_labels=2, id2label={0: "NEG", 1: "POS"}, label2id={"NEG": 0, "POS": 1})
    model = (BertForSequenceClassification if head else BertModel)(cfg)
    return model.eval(), tok


def transformers_text_classification(g: Any, d: Path) -> None:
    import mlflow.transformers

    model, tok = _tiny_bert(g.tmp, head=True)
    g.save(mlflow.transformers, d, transformers_model={"model": model, "tokenizer": tok},
           task="text-classification", input_example=["hello world", "the film was awful"])


def transformers_pipeline_plain(g: Any, d: Path) -> None:
    import mlflow.transformers
    from transformers import pipeline

    model, tok = _tiny_bert(g.tmp, head=True)
    pipe = pipeline("text-classification", model=model, tokenizer=tok, device=-1)
    g.log(mlflow.transformers, d, transformers_model=pipe)


def sentence_transformers_sig_example(g: Any, d: Path) -> None:
    import mlflow.sentence_transformers
    from sentence_transformers import SentenceTransformer, models

    bert, tok = _tiny_bert(g.tmp, head=False)
    src = g.tmp / "tiny-bert"
    bert.save_pretrained(str(src))
    tok.save_pretrained(str(src))
    word = models.Transformer(str(src), max_seq_length=32)
    pool = models.Pooling(word.get_word_embedding_dimension())
    st = SentenceTransformer(modules=[word, pool], device="cpu")
    g.save(mlflow.sentence_transformers, d, model=st, input_example=["hello world"])


def _onnx_model() -> Any:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def onnx_plain(g: Any, d: Path) -> None:
    import mlflow.onnx

    g.save(mlflow.onnx, d, onnx_model=_onnx_model())


def onnx_sig_example(g: Any, d: Path) -> None:
    import mlflow.onnx

    x = np.random.default_rng(0).random((2, 4), dtype=np.float32)
    y = x @ (np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    g.log(mlflow.onnx, d, onnx_model=_onnx_model(), signature=_sig({"x": x}, {"y": y}),
          input_example={"x": x})


# --- NLP / time series ----------------------------------------------------------------------


def spacy_blank_plain(g: Any, d: Path) -> None:
    import mlflow.spacy
    import spacy

    g.save(mlflow.spacy, d, spacy_model=spacy.blank("en"))


def spacy_textcat_sig_example(g: Any, d: Path) -> None:
    import mlflow.spacy
    import spacy
    from spacy.util import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat", config={"model": {
        "@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": True, "ngram_size": 1,
        "no_output_layer": False, "length": 256}})
    textcat.add_label("POS")
    textcat.add_label("NEG")
    nlp.initialize()
    x = pd.DataFrame({"text": ["a good film", "an awful film"]})
    out = pd.DataFrame({"predictions": [nlp(t).cats for t in x["text"]]})
    g.log(mlflow.spacy, d, spacy_model=nlp, signature=_sig(x, out), input_example=x)


def _series() -> pd.DataFrame:
    t = np.arange(30)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=30, freq="D"),
                         "y": np.sin(t / 3.0) + 0.1 * t})


def _prophet() -> Any:
    import logging

    from prophet import Prophet

    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    return Prophet(yearly_seasonality=False, weekly_seasonality=False, daily_seasonality=False,
                   uncertainty_samples=0).fit(_series())


def prophet_plain(g: Any, d: Path) -> None:
    import mlflow.prophet

    g.save(mlflow.prophet, d, pr_model=_prophet())


def prophet_sig_example(g: Any, d: Path) -> None:
    import mlflow.prophet

    m = _prophet()
    x = m.make_future_dataframe(periods=3, include_history=False)
    g.log(mlflow.prophet, d, pr_model=m, signature=_sig(x, m.predict(x)),
          input_example=x.head(2))


def _arima() -> Any:
    import pmdarima as pm

    return pm.ARIMA(order=(1, 0, 0), suppress_warnings=True).fit(_series()["y"].to_numpy())


def pmdarima_plain(g: Any, d: Path) -> None:
    import mlflow.pmdarima

    g.save(mlflow.pmdarima, d, pmdarima_model=_arima())


def pmdarima_sig_example(g: Any, d: Path) -> None:
    import mlflow.pmdarima

    m = _arima()
    x = pd.DataFrame({"n_periods": [3]})
    g.log(mlflow.pmdarima, d, pmdarima_model=m,
          signature=_sig(x, pd.DataFrame({"yhat": m.predict(3)})), input_example=x)


def _grouped_series() -> pd.DataFrame:
    """Two series ("a", "b") of 30 days, for diviner's grouped models."""
    frames = []
    for i, group in enumerate(("a", "b")):
        f = _series()
        f["y"] = f["y"] + i
        f["region"] = group
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


def diviner_pmdarima_plain(g: Any, d: Path) -> None:
    # GroupedPmdarima.save writes JSON whose values (and dict keys) are base64 pickles
    import mlflow.diviner
    from diviner import GroupedPmdarima
    from pmdarima.arima import ARIMA

    m = GroupedPmdarima(model_template=ARIMA(order=(1, 0, 0), suppress_warnings=True))
    m.fit(_grouped_series(), group_key_columns=["region"], y_col="y", datetime_col="ds")
    g.save(mlflow.diviner, d, diviner_model=m)


def diviner_prophet_plain(g: Any, d: Path) -> None:
    # GroupedProphet.save writes prophet's JSON per group: no pickle
    import logging

    import mlflow.diviner
    from diviner import GroupedProphet

    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)
    m = GroupedProphet(yearly_seasonality=False, weekly_seasonality=False,
                       daily_seasonality=False, uncertainty_samples=0)
    m.fit(_grouped_series(), group_key_columns=["region"])
    g.save(mlflow.diviner, d, diviner_model=m)


# --- JVM: spark, h2o ------------------------------------------------------------------------


def _spark() -> Any:
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[1]").appName("mc-fixtures")
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1").getOrCreate())


def _spark_pipeline() -> tuple[Any, Any]:
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.feature import VectorAssembler

    x, y = _iris()
    pdf = x.assign(label=(y == 0).astype(float))
    sdf = _spark().createDataFrame(pdf)
    pipe = Pipeline(stages=[VectorAssembler(inputCols=list(x.columns), outputCol="features"),
                            LogisticRegression(maxIter=3)])
    return pipe.fit(sdf), x


def spark_plain(g: Any, d: Path) -> None:
    import mlflow.spark

    model, _ = _spark_pipeline()
    g.save(mlflow.spark, d, spark_model=model)


def spark_sig_example(g: Any, d: Path) -> None:
    import mlflow.spark

    model, x = _spark_pipeline()
    sig = _sig(x, pd.Series([0.0, 1.0], name="prediction"))
    g.log(mlflow.spark, d, spark_model=model, signature=sig, input_example=x.head(2))


def _h2o_model() -> tuple[Any, pd.DataFrame]:
    import h2o
    from h2o.estimators import H2OGeneralizedLinearEstimator

    h2o.init(nthreads=1, max_mem_size="512M", ip="127.0.0.1", port=54399, verbose=False)
    h2o.no_progress()
    x, y = _iris()
    frame = h2o.H2OFrame(x.assign(label=y.astype(float)))
    glm = H2OGeneralizedLinearEstimator(family="gaussian", seed=0, lambda_=0.0)
    glm.train(x=list(x.columns), y="label", training_frame=frame)
    return glm, x


def h2o_plain(g: Any, d: Path) -> None:
    import mlflow.h2o

    glm, _ = _h2o_model()
    g.save(mlflow.h2o, d, h2o_model=glm)


def h2o_sig_example(g: Any, d: Path) -> None:
    import mlflow.h2o

    glm, x = _h2o_model()
    sig = _sig(x, pd.DataFrame({"predict": [0.0, 1.0]}))
    g.log(mlflow.h2o, d, h2o_model=glm, signature=sig, input_example=x.head(2))


def shutdown_jvms() -> None:
    """Stop the local JVMs the spark/h2o cases started (called once at the end)."""
    import sys

    if "h2o" in sys.modules:
        try:
            sys.modules["h2o"].cluster().shutdown()
        except Exception:  # never started
            pass
    if "pyspark.sql" in sys.modules:
        active = sys.modules["pyspark.sql"].SparkSession.getActiveSession()
        if active is not None:
            active.stop()


# --- GenAI: langchain, llama_index, openai --------------------------------------------------


def _code(g: Any, name: str) -> str:
    src = g.tmp / name
    shutil.copy(GEN / name, src)
    return str(src)


def langchain_code(g: Any, d: Path) -> None:
    import mlflow.langchain

    g.log(mlflow.langchain, d, lc_model=_code(g, "lc_chain.py"),
          input_example={"question": "hi"})


def _llama_settings() -> None:
    from llama_index.core import Settings
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.llms import MockLLM

    Settings.embed_model = MockEmbedding(embed_dim=4)
    Settings.llm = MockLLM(max_tokens=4)


def llama_index_index(g: Any, d: Path) -> None:
    import mlflow.llama_index
    from llama_index.core import Document, VectorStoreIndex

    _llama_settings()
    index = VectorStoreIndex.from_documents([Document(text="hello world", doc_id="d1")])
    g.save(mlflow.llama_index, d, llama_index_model=index, engine_type="query",
           input_example="hi")


def llama_index_code(g: Any, d: Path) -> None:
    import mlflow.llama_index

    g.log(mlflow.llama_index, d, llama_index_model=_code(g, "llama_index_engine.py"),
          input_example="hi")


def openai_chat(g: Any, d: Path) -> None:
    import mlflow.openai

    # The task as a string: ``openai.chat.completions`` builds a client, which needs an API key.
    g.save(mlflow.openai, d, model="gpt-4o-mini", task="chat.completions",
           messages=[{"role": "system", "content": "Answer briefly."},
                     {"role": "user", "content": "{question}"}])


# --- the table ------------------------------------------------------------------------------

NO_PYFUNC_WHY = ("MLflow writes no python_function flavor here on purpose (it says so when "
                 "saving): the model loads only through its native flavor")


def _c(name: str, what: str, build: Callable[[Any, Path], None], needs: tuple[str, ...],
       **kw: Any) -> dict[str, Any]:
    return {"name": name, "what": what, "build": build, "needs": needs, **kw}


FLAVOR_CASES: list[dict[str, Any]] = [
    _c("xgboost_plain", "mlflow.xgboost.save_model, XGBClassifier (2 trees) on iris, no "
       "signature/example", xgboost_plain, ("xgboost",)),
    _c("xgboost_sig_example", "mlflow.xgboost.log_model, signature + 3-row example",
       xgboost_sig_example, ("xgboost",)),
    _c("lightgbm_booster_plain", "mlflow.lightgbm.save_model of a lgb.Booster (model.lgb)",
       lightgbm_booster_plain, ("lightgbm",)),
    _c("lightgbm_sklearn_sig_example", "mlflow.lightgbm.log_model of an LGBMClassifier "
       "(pickled), signature + example", lightgbm_sklearn_sig_example, ("lightgbm",)),
    _c("catboost_plain", "mlflow.catboost.save_model, CatBoostClassifier (2 iterations)",
       catboost_plain, ("catboost",)),
    _c("catboost_sig_example", "mlflow.catboost.log_model, signature + example",
       catboost_sig_example, ("catboost",)),
    _c("statsmodels_plain", "mlflow.statsmodels.save_model, OLS results (remove_data)",
       statsmodels_plain, ("statsmodels",)),
    _c("statsmodels_sig_example", "mlflow.statsmodels.log_model, signature + example",
       statsmodels_sig_example, ("statsmodels",)),
    _c("pytorch_plain", "mlflow.pytorch.save_model of nn.Sequential(Linear(4,3), Softmax), "
       "pickled (3.x: serialization_format='pickle', as pt2 needs an example)",
       pytorch_plain, ("torch",)),
    _c("pytorch_sig_example", "mlflow.pytorch.log_model, tensor signature + ndarray example",
       pytorch_sig_example, ("torch",)),
    _c("tensorflow_keras_plain", "mlflow.tensorflow.save_model of a Keras Sequential",
       tensorflow_keras_plain, ("tensorflow", "keras")),
    _c("tensorflow_keras_sig_example", "mlflow.tensorflow.log_model of a Keras Sequential, "
       "signature + ndarray example", tensorflow_keras_sig_example, ("tensorflow", "keras")),
    _c("tensorflow_module_plain", "mlflow.tensorflow.save_model of a tf.Module (SavedModel)",
       tensorflow_module_plain, ("tensorflow",)),
    _c("keras3_sig_example", "mlflow.keras.save_model (Keras 3 flavor), signature + example",
       keras3_sig_example, ("keras",), min_version="2.11"),
    _c("transformers_text_classification", "mlflow.transformers.save_model of a 2-layer "
       "32-wide BERT + tokenizer built from a local vocab (text-classification), list example",
       transformers_text_classification, ("transformers", "torch")),
    _c("transformers_pipeline_plain", "mlflow.transformers.log_model of the same model as a "
       "text-classification pipeline, no example", transformers_pipeline_plain,
       ("transformers", "torch")),
    _c("sentence_transformers_sig_example", "mlflow.sentence_transformers.save_model of the "
       "tiny BERT + mean pooling, list example", sentence_transformers_sig_example,
       ("sentence_transformers", "transformers", "torch")),
    _c("onnx_plain", "mlflow.onnx.save_model of a 1-node MatMul graph (opset 13)",
       onnx_plain, ("onnx",)),
    _c("onnx_sig_example", "mlflow.onnx.log_model, named-tensor signature + dict example",
       onnx_sig_example, ("onnx", "onnxruntime")),
    _c("spacy_blank_plain", "mlflow.spacy.save_model of spacy.blank('en') (no textcat, so no "
       "pyfunc flavor)", spacy_blank_plain, ("spacy",),
       allowed=[{"code": "MC201", "code_prefix": "MC2", "file": "MLmodel",
                 "why": NO_PYFUNC_WHY + " (no TextCategorizer in the pipeline)"}]),
    _c("spacy_textcat_sig_example", "mlflow.spacy.log_model, blank 'en' + TextCatBOW textcat, "
       "signature + example", spacy_textcat_sig_example, ("spacy",)),
    _c("prophet_plain", "mlflow.prophet.save_model, Prophet fit on 30 days (MAP)",
       prophet_plain, ("prophet",)),
    _c("prophet_sig_example", "mlflow.prophet.log_model, signature + future-frame example",
       prophet_sig_example, ("prophet",)),
    _c("pmdarima_plain", "mlflow.pmdarima.save_model, ARIMA(1,0,0) on 30 points",
       pmdarima_plain, ("pmdarima",)),
    _c("pmdarima_sig_example", "mlflow.pmdarima.log_model, n_periods signature + example",
       pmdarima_sig_example, ("pmdarima",)),
    _c("diviner_pmdarima_plain", "mlflow.diviner.save_model of a GroupedPmdarima (ARIMA(1,0,0) "
       "per region, 2 regions); MLflow 3 has no diviner flavor", diviner_pmdarima_plain,
       ("mlflow.diviner", "diviner", "pmdarima")),
    _c("diviner_prophet_plain", "mlflow.diviner.save_model of a GroupedProphet (2 regions); "
       "MLflow 3 has no diviner flavor", diviner_prophet_plain,
       ("mlflow.diviner", "diviner", "prophet")),
    _c("spark_plain", "mlflow.spark.save_model of a VectorAssembler+LogisticRegression "
       "PipelineModel (local[1] Spark)", spark_plain, ("pyspark",)),
    _c("spark_sig_example", "mlflow.spark.log_model, signature + example", spark_sig_example,
       ("pyspark",)),
    _c("h2o_plain", "mlflow.h2o.save_model of a GLM (local H2O JVM)", h2o_plain, ("h2o",)),
    _c("h2o_sig_example", "mlflow.h2o.log_model, signature + example", h2o_sig_example,
       ("h2o",)),
    _c("langchain_code", "mlflow.langchain.log_model from code (RunnableLambda chain), dict "
       "example", langchain_code, ("langchain", "langchain_core"), min_version="2.12"),
    _c("llama_index_index", "mlflow.llama_index.save_model of a VectorStoreIndex "
       "(MockEmbedding/MockLLM), engine_type='query'", llama_index_index,
       ("llama_index.core",), min_version="2.15"),
    _c("llama_index_code", "mlflow.llama_index.log_model from code (query engine over a "
       "mock index)", llama_index_code, ("llama_index.core",), min_version="2.15"),
    _c("openai_chat", "mlflow.openai.save_model: chat.completions config for gpt-4o-mini "
       "with a prompt template (no API call at save time)", openai_chat, ("openai",)),
]
