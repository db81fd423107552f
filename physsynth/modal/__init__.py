"""Modal analysis: eigen-solve, ModalModel, damping laws."""
