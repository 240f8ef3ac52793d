import mlflow, mlflow.pyfunc
mlflow.set_tracking_uri("file:./mlruns")
class M(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.7)
    info = mlflow.pyfunc.log_model(name="model", python_model=M())
print(run.info.run_id)
mlflow.pyfunc.save_model("../pkg", python_model=M(), code_paths=["."])
