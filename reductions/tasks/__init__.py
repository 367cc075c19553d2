"""Tasks (parity, Sudoku, max-flow, Dyck, ...) written as exact AP-MDM processes."""
