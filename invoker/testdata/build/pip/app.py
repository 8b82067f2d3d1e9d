import os


def handler(event, context):
    import tinypkg

    return {"greeting": tinypkg.greet(), "task_root": os.environ["LAMBDA_TASK_ROOT"], "module": tinypkg.__file__}


def missing(event, context):
    import tinypkg  # noqa: F401

    return "installed"
