"""Image Processor core: the domain and the only code that talks to AWS, in sub-packages named for their
parts (aws, fetching, imaging, ingest, store, logs, ops). No Streamlit or Lambda imports live here.
"""
