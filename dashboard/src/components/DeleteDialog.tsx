import { useState } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Input, Label, Modal, TextField } from 'react-aria-components';
import type { Store } from '../api/types';
import { deleteNeedsName, whatGoes } from '../rules';

/** Lists what goes; asks for the store's name only when the store is Ready. */
export function DeleteDialog({ store, onDelete, busy }: { store: Store; onDelete: () => void; busy: boolean }) {
  const [typed, setTyped] = useState('');
  const needsName = deleteNeedsName(store);
  return (
    <DialogTrigger onOpenChange={() => setTyped('')}>
      <Button className="button danger">Delete…</Button>
      <Modal className="modal" isDismissable>
        <Dialog className="dialog" role="alertdialog">
          {({ close }) => (
            <>
              <Heading slot="title">Delete {store.name}?</Heading>
              <p>This removes:</p>
              <ul>{whatGoes(store).map((item) => <li key={item}>{item}</li>)}</ul>
              <p>The store's history stays in the audit log. Deleting again is harmless.</p>
              {needsName && (
                <TextField value={typed} onChange={setTyped} autoFocus>
                  <Label>Type <strong>{store.name}</strong> to confirm</Label>
                  <Input autoComplete="off" spellCheck={false} />
                </TextField>
              )}
              <div className="row">
                <Button className="button" onPress={close} autoFocus={!needsName}>Cancel</Button>
                <Button className="button danger" isDisabled={busy || (needsName && typed !== store.name)}
                  onPress={() => { onDelete(); close(); }}>Delete store</Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
